"""Sagas, the wait queue and fan-out on real PostgreSQL, Redis and Celery worker processes."""

import os
import signal
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import publish
from workflow_platform.engine import services, waiting
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.errors import Conflict, NotFound
from workflow_platform.tenancy.scoping import all_tenants

from ...reliability.workflows import loopback_tenant
from .conftest import wait_for
from .workflows import export, fan, saga


def statuses(tenant, **filters):
    return list(
        Instance.objects.for_tenant(tenant).filter(**filters).values_list("status", flat=True)
    )


def test_a_saga_failing_at_step_3_compensates_2_then_1_once_each_across_a_worker_kill(
    start_worker, start_beat, dependency, monkeypatch
):
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    tenant = loopback_tenant()
    publish(tenant, saga(dependency.url))
    instances = services.start_instances(
        tenant=tenant, definition_key="order-saga", items=[{"data": {"i": i}} for i in range(4)]
    )
    # Every call takes a while, so the worker dies in the middle of one. Set before the
    # worker starts: a warm worker finishes all four sagas in a fraction of a second.
    dependency.delay = 0.3
    victim = start_worker(queues="steps,starts", concurrency=1)
    interrupted = wait_for(
        lambda: [k for k in list(dependency.busy) if k.endswith("-undo")],
        timeout=60,
        interval=0.02,
        message="no compensation in flight",
    )
    os.killpg(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait()
    dependency.delay = 0.0
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()  # its lease sweep hands the dead worker's instances over
    wait_for(lambda: statuses(tenant) == ["compensated"] * 4, timeout=90,
             message="not every saga compensated")  # fmt: skip
    # The interrupted compensation ran again after the takeover, with the same key.
    assert all(dependency.calls[key] >= 2 for key in interrupted)
    for instance in instances:
        i = instance.pk
        keys = [f"wi-{i}-1", f"wi-{i}-2", f"wi-{i}-2-undo", f"wi-{i}-1-undo"]
        assert all(key in dependency.effects for key in keys)
        order = [dependency.effects[key] for key in keys]
        assert order[2] < order[3], "refund (step 2) before unreserve (step 1)"
        assert order[1] < order[2]
        ran = list(
            HistoryEvent.objects.for_tenant(tenant)
            .filter(instance_id=i, type="compensation_ran")
            .order_by("seq")
            .values_list("action", flat=True)
        )
        assert ran == ["refund", "unreserve"]  # each committed once
    call_command("replay_history")


@pytest.fixture
def wait_workers(start_worker, start_beat):
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_worker(queues="waits", concurrency=1)  # polls never occupy a step worker
    start_beat()


def test_a_completion_callback_ends_a_wait_at_once_and_a_repeat_changes_nothing(
    wait_workers, dependency
):
    tenant = loopback_tenant()
    publish(tenant, export(dependency.url, poll_interval="1m"))
    instance = services.start_instance(tenant=tenant, definition_key="export-1m", data={"i": 7})
    wait_for(lambda: dependency.bodies, timeout=30, message="submit not called")
    token = dependency.bodies[0]["token"]
    wait_for(lambda: statuses(tenant) == ["waiting"], timeout=30)
    with pytest.raises(NotFound):
        waiting.complete_wait(token=token[:-3] + "xyz", payload={"report": "forged"})
    waiting.complete_wait(token=token, payload={"report": "via-callback"})
    with pytest.raises(Conflict):
        waiting.complete_wait(token=token, payload={"report": "again"})
    wait_for(lambda: statuses(tenant) == ["completed"], timeout=30)
    done = Instance.objects.for_tenant(tenant).get(pk=instance.pk)
    assert done.data["report"] == "via-callback" and dependency.polls == 0
    call_command("replay_history")


def test_a_poller_killed_mid_poll_loses_no_wait_and_ends_each_once(
    start_worker, start_beat, dependency, monkeypatch
):
    # The waits worker dies with polls in flight. Its claimed poll timers stay out of
    # other pollers' sight for the poll's timeout plus a margin (3 s here), then fall due again:
    # another poller takes them, and each wait ends exactly once.
    monkeypatch.setenv("WORKFLOW_POLL_LEASE_MARGIN", "3")
    tenant = loopback_tenant()
    document = export(dependency.url, poll_interval="200ms")
    document["actions"]["check"]["timeout"] = "2s"
    publish(tenant, document)
    dependency.running_answers = 10**6  # "running" until the poller is dead
    dependency.poll_delay = 1.5
    services.start_instances(
        tenant=tenant, definition_key="export-200ms", items=[{"data": {"i": i}} for i in range(3)]
    )
    start_worker(queues="steps,starts,timers", concurrency=1)
    victim = start_worker(queues="waits", concurrency=1)
    start_beat()
    wait_for(lambda: dependency.polling, timeout=60, interval=0.02, message="no poll in flight")
    os.killpg(victim.proc.pid, signal.SIGKILL)
    victim.proc.wait()
    with dependency.lock:
        dependency.running_answers = dependency.polls + 1  # the job is done from now on
    dependency.poll_delay = 0.0
    start_worker(queues="waits", concurrency=1)
    wait_for(lambda: statuses(tenant) == ["completed"] * 3, timeout=120,
             message="a wait was lost with its poller")  # fmt: skip
    for instance in Instance.objects.for_tenant(tenant):
        ends = HistoryEvent.objects.for_tenant(tenant).filter(
            instance=instance, type="transitioned", from_state="awaiting"
        )
        assert ends.count() == 1 and instance.data["report"] == "r-1"
    call_command("replay_history")


def test_polls_run_on_the_waits_queue_until_the_job_is_done(wait_workers, dependency):
    tenant = loopback_tenant()
    publish(tenant, export(dependency.url, poll_interval="200ms"))
    dependency.running_answers = 2
    instance = services.start_instance(tenant=tenant, definition_key="export-200ms", data={})
    wait_for(lambda: statuses(tenant) == ["completed"], timeout=60, message="wait never ended")
    done = Instance.objects.for_tenant(tenant).get(pk=instance.pk)
    assert (done.state, done.data["report"], dependency.polls) == ("done", "r-1", 3)
    call_command("replay_history")


def test_a_fan_out_of_100_with_concurrency_10_never_has_more_than_10_children_running(
    start_worker, start_beat, dependency, monkeypatch
):
    # Sixteen worker processes, each claiming one instance at a time: without the limit,
    # more than 10 children call the dependency at once (14 when tried on two CPUs).
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "1")
    tenant = loopback_tenant()
    child, parent = fan(dependency.url, items=100, concurrency=10)
    publish(tenant, child)
    publish(tenant, parent)
    dependency.delay = 1.0  # long enough for the calls of many children to overlap
    instance = services.start_instance(
        tenant=tenant, definition_key="fan-parent", data={"numbers": list(range(100))}
    )
    peak, stop = [0], threading.Event()

    def sample():  # committed rows: children started and not yet ended
        while not stop.is_set():
            with all_tenants():
                running = Instance.objects.filter(
                    parent_id=instance.pk, status__in=["created", "running", "waiting"]
                ).count()
            peak[0] = max(peak[0], running)
            time.sleep(0.01)
        connection.close()  # this thread's connection, so the test database can go

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start_worker(queues="steps,starts,timers", concurrency=8)
    start_worker(queues="steps,starts", concurrency=8)
    start_beat()
    try:
        wait_for(lambda: statuses(tenant, pk=instance.pk) == ["completed"], timeout=180,
                 message="fan-out did not join")  # fmt: skip
    finally:
        stop.set()
        sampler.join()
    done = Instance.objects.for_tenant(tenant).get(pk=instance.pk)
    assert [r["i"] for r in done.data["results"]] == list(range(100))
    assert len(dependency.effects) == 100
    assert 1 <= peak[0] <= 10
    # The limit held the children back, not a lack of workers: many ran at once.
    assert 6 <= dependency.peak <= 10
    call_command("replay_history")
