"""The engine keeps its promises with real workers being killed, duplicated and raced.

Real PostgreSQL, Redis and Celery worker processes; the effect server on loopback stands
for a dependency that deduplicates on the ``Idempotency-Key`` the engine sends.
"""

import os
import signal

from celery import current_app

from tests.factories import publish
from workflow_platform.engine import services

from .conftest import wait_for
from .workflows import (
    all_completed,
    assert_one_transition_per_step,
    assert_replay_finds_no_difference,
    expected_keys,
    http_chain,
    loopback_tenant,
)


def test_kill_9_mid_action_leaves_every_instance_completed_with_each_effect_once(
    start_worker, start_beat, effect_server, monkeypatch
):
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = loopback_tenant()
    publish(tenant, http_chain("crash", effect_server.url, steps=3))
    effect_server.delay = 0.4
    services.start_instances(
        tenant=tenant, definition_key="crash", items=[{"data": {"i": i}} for i in range(6)]
    )
    victim = start_worker(queues="steps,starts", concurrency=1)
    wait_for(lambda: effect_server.in_flight > 0, timeout=30, message="no action started")
    os.killpg(victim.proc.pid, signal.SIGKILL)  # in the middle of an action
    victim.proc.wait()
    interrupted = set(effect_server.calls)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()  # its lease sweep hands the dead worker's instances over
    wait_for(lambda: all_completed(tenant, 6), timeout=90, message="instances not completed")
    assert set(effect_server.effects) == expected_keys(tenant, 3)
    # The interrupted action ran again after the takeover, with the same key.
    assert any(effect_server.calls[key] >= 2 for key in interrupted)
    assert_one_transition_per_step(tenant, 3)
    assert_replay_finds_no_difference()


def test_the_same_step_message_delivered_twice_makes_one_transition(start_worker, effect_server):
    tenant = loopback_tenant()
    publish(tenant, http_chain("twice", effect_server.url, steps=3))
    effect_server.delay = 0.2
    instance = services.start_instance(tenant=tenant, definition_key="twice", data={"i": 1})
    for _ in range(2):
        current_app.send_task(
            "engine.steps.run_ready", kwargs={"instance_ids": [instance.pk]}, queue="steps"
        )
    start_worker(queues="steps,starts", concurrency=2)
    wait_for(lambda: all_completed(tenant, 1), timeout=60)
    assert set(effect_server.calls) == expected_keys(tenant, 3)
    assert set(effect_server.calls.values()) == {1}
    assert_one_transition_per_step(tenant, 3)
    assert_replay_finds_no_difference()


def test_two_workers_racing_for_one_instance_make_one_transition_per_step(
    start_worker, effect_server
):
    tenant = loopback_tenant()
    publish(tenant, http_chain("race", effect_server.url, steps=4))
    effect_server.delay = 0.1
    instance = services.start_instance(tenant=tenant, definition_key="race", data={"i": 1})
    start_worker(queues="steps,starts", concurrency=1)
    start_worker(queues="steps,starts", concurrency=1)
    for _ in range(12):
        current_app.send_task(
            "engine.steps.run_ready", kwargs={"instance_ids": [instance.pk]}, queue="steps"
        )
    wait_for(lambda: all_completed(tenant, 1), timeout=60)
    assert set(effect_server.calls) == expected_keys(tenant, 4)
    assert set(effect_server.calls.values()) == {1}
    assert_one_transition_per_step(tenant, 4)
    assert_replay_finds_no_difference()


def test_an_action_longer_than_the_lease_runs_once_while_other_workers_look_for_work(
    start_worker, start_beat, effect_server, monkeypatch
):
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "2")
    tenant = loopback_tenant()
    publish(tenant, http_chain("long", effect_server.url, steps=2))
    effect_server.delay = 5.0  # each action outlives two leases and a half
    services.start_instance(tenant=tenant, definition_key="long", data={"i": 1})
    start_worker(queues="steps,starts", concurrency=1)
    wait_for(lambda: effect_server.in_flight > 0, timeout=30, message="no action started")
    # Another worker, and the beat whose sweeps free expired leases and re-nudge.
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: all_completed(tenant, 1), timeout=90, message="instance not completed")
    assert set(effect_server.calls) == expected_keys(tenant, 2)
    assert set(effect_server.calls.values()) == {1}  # never taken over mid-action
    assert_one_transition_per_step(tenant, 2)
    assert_replay_finds_no_difference()
