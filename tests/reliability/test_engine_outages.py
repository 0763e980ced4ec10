"""Nothing is lost when the broker restarts or the scheduler is down for a while."""

import time

from django.utils import timezone

from tests.factories import publish
from workflow_platform.engine import scheduler, services
from workflow_platform.engine.models import HistoryEvent, Instance, Timer

from .conftest import wait_for
from .workflows import (
    all_completed,
    assert_one_transition_per_step,
    assert_replay_finds_no_difference,
    expected_keys,
    http_chain,
    loopback_tenant,
)


def test_a_redis_restart_mid_run_loses_nothing(
    private_redis, start_worker, start_beat, effect_server, monkeypatch
):
    # (private_redis first: it is stopped after the workers that use it.)
    # Workers and beat use a Redis this test owns; the test process's own nudges go to
    # the shared one, so every message the workers get comes from the outbox sweep.
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "5")
    tenant = loopback_tenant()
    publish(tenant, http_chain("outage", effect_server.url, steps=5))
    effect_server.delay = 0.03
    services.start_instances(
        tenant=tenant, definition_key="outage", items=[{"data": {"i": i}} for i in range(20)]
    )
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: len(effect_server.effects) >= 15, timeout=60, message="no progress")
    private_redis.kill()  # messages in the broker are gone with it
    time.sleep(1.0)
    private_redis.start()
    wait_for(lambda: all_completed(tenant, 20), timeout=120, message="work was lost")
    assert set(effect_server.effects) == expected_keys(tenant, 5)
    assert_one_transition_per_step(tenant, 5)
    assert_replay_finds_no_difference()


def test_a_timer_due_while_the_scheduler_was_down_fires_once_when_it_is_back(
    start_worker, start_beat, settings, monkeypatch
):
    # The scheduler is down: no beat, and no wake-up at the due time either (as when the
    # timer was written while the broker was away); only the sweep, once back, fires it.
    settings.WORKFLOW_TIMER_WAKE_HORIZON = 0
    monkeypatch.setenv("WORKFLOW_TIMER_WAKE_HORIZON", "0")
    tenant = loopback_tenant()
    publish(
        tenant,
        {
            "key": "reminder",
            "initial": "waiting",
            "states": [{"name": "waiting"}, {"name": "reminded", "kind": "final"}],
            "transitions": [{"from": "waiting", "to": "reminded", "on": "timer", "after": "1s"}],
        },
    )
    instance = services.start_instance(tenant=tenant, definition_key="reminder", data={})
    start_worker(queues="steps,starts,timers", concurrency=1)
    time.sleep(2.5)  # the timer fell due with no scheduler running
    timer = Timer.objects.for_tenant(tenant).get(instance=instance)
    assert timer.due_at < timezone.now() and timer.fired_at is None
    assert Instance.objects.for_tenant(tenant).get(pk=instance.pk).status == "waiting"
    start_beat()
    wait_for(lambda: all_completed(tenant, 1), timeout=60, message="the timer never fired")
    assert scheduler.sweep_due_timers() == 0  # and never again
    fired = HistoryEvent.objects.for_tenant(tenant).filter(instance=instance, type="timer_fired")
    assert fired.count() == 1
    assert_one_transition_per_step(tenant, 1)
    assert_replay_finds_no_difference()
