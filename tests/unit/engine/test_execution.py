"""The executor carries instances through their steps durably, one commit per step."""

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import reload, start
from workflow_platform.engine import executor, leases, recovery, scheduler, services
from workflow_platform.engine.journal import write_moves
from workflow_platform.engine.models import HistoryEvent, Incident, Instance, Timer
from workflow_platform.errors import Conflict
from workflow_platform.tenancy.scoping import all_tenants

from . import callables
from .conftest import linear

RECORD = {"type": "python", "params": {"callable": "engine_tests.record"}, "result_to": "out"}


@pytest.fixture(autouse=True)
def clear_calls():
    callables.CALLS.clear()


def history(tenant, instance):
    return list(HistoryEvent.objects.for_tenant(tenant).filter(instance=instance).order_by("seq"))


def test_automatic_steps_run_to_completion_with_gapless_history(tenant_a, publish, work):
    version = publish(linear(3, action=RECORD))
    instance = start(tenant_a, version, {"n": 1})
    assert instance.status == "created" and instance.ready
    assert work() == 3
    done = reload(tenant_a, instance)
    assert (done.status, done.state, done.step) == ("completed", "done", 3)
    assert not done.ready and not done.lease_owner
    assert [e.seq for e in history(tenant_a, instance)] == [1, 2, 3, 4]
    assert done.data["out"] == {"seen": 1, "key": f"wi-{instance.pk}-3"}


def test_each_step_gets_a_stable_idempotency_key(tenant_a, publish, work):
    version = publish(linear(2, action=RECORD))
    instance = start(tenant_a, version)
    work()
    assert [(f"wi-{instance.pk}-1", 1), (f"wi-{instance.pk}-2", 1)] == callables.CALLS


def test_one_claim_runs_many_instances_in_shared_commits(tenant_a, publish):
    version = publish(linear(3))
    items = [{"data": {"n": i}} for i in range(20)]
    services.start_instances(tenant=tenant_a, definition_key=version.definition.key, items=items)
    with CaptureQueriesContext(connection) as queries:
        assert executor.run_ready(limit=50) == 60
    engine = [q["sql"] for q in queries.captured_queries if '"engine_' in q["sql"]]
    # The claim (a few statements), then per round one lock, one UPDATE and one INSERT
    # for all 20 instances: far fewer statements than the 60 transitions made.
    assert len(engine) <= 16
    assert Instance.objects.for_tenant(tenant_a).filter(status="completed").count() == 20


def test_guards_are_tried_in_order_and_the_first_true_wins(tenant_a, publish, work):
    version = publish(
        {
            "initial": "check",
            "states": [{"name": "check"}, {"name": "big", "kind": "final"},
                       {"name": "small", "kind": "final"}, {"name": "other", "kind": "final"}],
            "transitions": [
                {"from": "check", "to": "other", "order": 3},
                {"from": "check", "to": "small", "when": "data.amount < 100", "order": 2},
                {"from": "check", "to": "big", "when": "data.amount >= 100", "order": 1},
            ],
        }
    )  # fmt: skip
    big, small = start(tenant_a, version, {"amount": 500}), start(tenant_a, version, {"amount": 5})
    work()
    assert reload(tenant_a, big).state == "big"
    assert reload(tenant_a, small).state == "small"


def test_retries_back_off_as_durable_timers_then_succeed(tenant_a, publish, work):
    action = {
        "type": "python",
        "params": {"callable": "engine_tests.fail_twice"},
        "retry": {"max_attempts": 3, "initial_interval": "10s", "jitter": 0},
    }
    version = publish(linear(1, action=action))
    instance = start(tenant_a, version)
    work()
    waiting = reload(tenant_a, instance)
    assert (waiting.status, waiting.attempt) == ("waiting", 2)
    timer = Timer.objects.for_tenant(tenant_a).get(instance=instance, kind="retry")
    assert 9 <= (timer.due_at - timezone.now()).total_seconds() <= 10
    work(timers=True)
    done = reload(tenant_a, instance)
    assert done.status == "completed"
    key = f"wi-{instance.pk}-1"
    assert [(key, 1), (key, 2), (key, 3)] == callables.CALLS
    assert [e.type for e in history(tenant_a, instance)] == [
        "started", "action_failed", "timer_fired", "action_failed", "timer_fired", "transitioned"
    ]  # fmt: skip


def test_the_last_failed_attempt_opens_an_incident(tenant_a, publish, work):
    action = {
        "type": "python",
        "params": {"callable": "engine_tests.always_retryable"},
        "retry": {"max_attempts": 2, "initial_interval": "1s"},
    }
    instance = start(tenant_a, publish(linear(1, action=action)))
    work(timers=True, rounds=4)
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.has_incident) == ("failed", True)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert (incident.code, incident.attempt, incident.step) == ("unavailable", 2, 1)


def test_a_non_retryable_error_fails_at_once_and_an_operator_retry_resumes_the_step(
    tenant_a, publish, work
):
    action = {"type": "python", "params": {"callable": "engine_tests.broken"}}
    instance = start(tenant_a, publish(linear(1, action=action)))
    work()
    assert reload(tenant_a, instance).status == "failed"
    assert [(f"wi-{instance.pk}-1", 1)] == callables.CALLS
    fixed = reload(tenant_a, instance)
    fixed.data = {"fixed": True}  # an operator repaired the data (issue 6 makes it a service)
    Instance.objects.for_tenant(tenant_a).filter(pk=instance.pk).update(data={"fixed": True})
    HistoryEvent.objects.for_tenant(tenant_a).filter(instance=instance, seq=1).update(
        delta={"set": {"fixed": True}}
    )
    services.retry_incident(tenant=tenant_a, instance_id=instance.pk)
    work()
    done = reload(tenant_a, instance)
    assert (done.status, done.has_incident) == ("completed", False)
    assert callables.CALLS[-1] == (f"wi-{instance.pk}-1", 1)
    assert Incident.objects.for_tenant(tenant_a).get(instance=instance).resolved_at
    with pytest.raises(Conflict) as refused:
        services.retry_incident(tenant=tenant_a, instance_id=instance.pk)
    assert refused.value.code == "no_open_incident"


def test_a_worker_that_lost_its_lease_cannot_commit(tenant_a, publish):
    instance = start(tenant_a, publish(linear(2)))
    (mine,) = leases.claim(limit=5, owner="slow-worker")
    move = executor.advance(mine)
    # The lease expires; another worker claims the instance (the fence moves on).
    Instance.objects.for_tenant(tenant_a).filter(pk=instance.pk).update(lease_expires_at=None)
    (theirs,) = leases.claim(limit=5, owner="other-worker")
    assert theirs.fence == mine.held_fence + 1
    assert write_moves([move]) == []
    assert write_moves([executor.advance(theirs)]) != []
    stored = reload(tenant_a, instance)
    assert (stored.state, stored.seq) == ("s1", 2)


def test_a_claimed_instance_is_not_claimed_again_until_its_lease_expires(tenant_a, publish):
    start(tenant_a, publish(linear(1)))
    assert len(leases.claim(limit=5, owner="a")) == 1
    assert leases.claim(limit=5, owner="b") == []
    Instance.objects.for_tenant(tenant_a).update(
        lease_expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert len(leases.claim(limit=5, owner="b")) == 1


def lose_leases() -> int:
    """Every held lease expires, as when its worker dies; the scheduler's sweep runs."""
    with all_tenants():
        Instance.objects.exclude(lease_owner="").update(
            lease_expires_at=timezone.now() - timezone.timedelta(seconds=1)
        )
    return scheduler.sweep_expired_leases()


def test_a_lost_lease_makes_a_suspect_that_is_claimed_alone_until_it_commits(tenant_a, publish):
    version = publish(linear(2))
    first, *_ = [start(tenant_a, version, {"n": n}) for n in range(4)]
    assert len(leases.claim(limit=10, owner="dies")) == 4
    assert lose_leases() == 4
    assert {i.lost_leases for i in Instance.objects.for_tenant(tenant_a)} == {1}
    # Each suspect alone, however large the batch asked for.
    (alone,) = leases.claim(limit=10, owner="careful")
    assert alone.pk == first.pk
    assert write_moves([executor.advance(alone)])  # it committed a step: no longer suspect
    assert reload(tenant_a, first).lost_leases == 0


def test_a_lease_given_back_to_wait_is_not_a_lost_one(tenant_a, publish):
    instance = start(tenant_a, publish(linear(1)))
    held = leases.claim(limit=5, owner="pacer")
    leases.release(held, retry_in=timezone.timedelta(seconds=-1))  # throttled, now due
    assert scheduler.sweep_expired_leases() == 1
    assert reload(tenant_a, instance).lost_leases == 0


def test_a_step_that_loses_its_worker_again_and_again_fails_with_an_incident(
    tenant_a, publish, settings
):
    settings.WORKFLOW_MAX_LOST_LEASES = 2
    instance = start(tenant_a, publish(linear(2)))
    for _ in range(2):
        assert len(leases.claim(limit=5, owner="killed")) == 1
        lose_leases()
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.has_incident, failed.ready) == ("failed", True, False)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert incident.code == "worker_lost" and "2 times in a row" in incident.message
    assert leases.claim(limit=5, owner="next") == []  # no worker is offered it again
    services.retry_incident(tenant=tenant_a, instance_id=instance.pk)
    assert reload(tenant_a, instance).lost_leases == 0


@pytest.mark.django_db(transaction=True)  # the heartbeat writes from a thread of its own
def test_a_lease_is_renewed_while_an_action_runs_longer_than_it(tenant_a, publish, settings):
    settings.WORKFLOW_LEASE_SECONDS = 0.3  # the action takes more than three leases
    callables.TAKEOVERS.clear()
    slow = {"type": "python", "params": {"callable": "engine_tests.slow_while_others_claim"}}
    instance = start(tenant_a, publish(linear(1, action=slow)))
    assert executor.run_ready() == 1
    assert callables.TAKEOVERS == [[]]  # no other worker could take it over meanwhile
    done = reload(tenant_a, instance)
    assert (done.status, len(callables.CALLS)) == ("completed", 1)


def test_a_batch_past_its_time_starts_no_further_action_and_hands_the_rest_on(
    tenant_a, publish, work, settings
):
    # Every action is bounded by its timeout, so a message that starts none after
    # WORKFLOW_BATCH_SECONDS stays under Celery's hard time limit.
    settings.WORKFLOW_BATCH_SECONDS = 0
    version = publish(linear(3, action=RECORD))
    items = [{"data": {"n": i}} for i in range(3)]
    services.start_instances(tenant=tenant_a, definition_key=version.definition.key, items=items)
    assert executor.run_ready(limit=50) == 1  # one action, then the batch's time was up
    assert len(callables.CALLS) == 1
    instances = Instance.objects.for_tenant(tenant_a)
    assert all(inst.ready and not inst.lease_owner for inst in instances)
    assert not any(inst.lost_leases for inst in instances)  # handed on, not lost
    work()
    assert set(instances.values_list("status", flat=True)) == {"completed"}
    assert len(callables.CALLS) == 9  # each step's action ran once


@pytest.fixture
def database_failures():
    recovery._failures.clear()
    yield
    recovery._failures.clear()


def test_a_database_error_in_a_rounds_commit_is_tried_again_later_not_an_incident(
    tenant_a, publish, work, monkeypatch, database_failures
):
    instance = start(tenant_a, publish(linear(1, action=RECORD)))
    write, failures = executor.write_moves, ["the round's commit", "its commit alone"]

    def flaky(moves):
        if failures:
            raise OperationalError(f"server closed the connection during {failures.pop()}")
        return write(moves)

    monkeypatch.setattr(executor, "write_moves", flaky)
    assert executor.run_ready() == 0
    held = reload(tenant_a, instance)
    assert (held.has_incident, held.ready, held.lease_owner) == (False, True, "")
    assert held.lease_expires_at > timezone.now()  # claimable again after a short delay
    assert not Incident.objects.for_tenant(tenant_a).exists()
    Instance.objects.for_tenant(tenant_a).update(lease_expires_at=None)  # the delay passed
    work()
    assert reload(tenant_a, instance).status == "completed"
    key, calls = f"wi-{instance.pk}-1", callables.CALLS
    assert calls == [(key, 1), (key, 1)]  # run again with its key, on the same attempt


def test_a_database_error_that_persists_through_every_try_becomes_an_incident(
    tenant_a, publish, monkeypatch, database_failures
):
    instance = start(tenant_a, publish(linear(1, action=RECORD)))

    def broken(inst):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(executor, "advance", broken)
    for _ in range(recovery.DATABASE_TRIES - 1):
        executor.run_ready()
        assert not reload(tenant_a, instance).has_incident
        Instance.objects.for_tenant(tenant_a).update(lease_expires_at=None)
    executor.run_ready()
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.has_incident) == ("failed", True)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert incident.code == "database_error" and "statement timeout" in incident.message


def test_a_duplicate_nudge_with_nothing_ready_makes_no_transition(tenant_a, publish, work):
    instance = start(tenant_a, publish(linear(2)))
    work()
    before = reload(tenant_a, instance).seq
    assert executor.run_ready() == 0
    assert executor.run_ready(ids=[instance.pk]) == 0
    assert reload(tenant_a, instance).seq == before


def test_in_flight_instances_are_claimed_before_new_starts(tenant_a, publish):
    version = publish(linear(3))
    older = start(tenant_a, version)
    (claimed,) = leases.claim(limit=1, owner="w")
    write_moves([executor.advance(claimed)])
    leases.release([claimed])
    start(tenant_a, version)
    (first,) = leases.claim(limit=1, owner="w2")
    assert first.pk == older.pk and first.status == "running"


def test_a_subworkflow_step_starts_a_child_and_continues_with_its_data(tenant_a, publish, work):
    publish(linear(2, action=RECORD, key="child"))
    parent_doc = linear(1, key="parent")
    parent_doc["transitions"][0]["action"] = "delegate"
    parent_doc["actions"] = {
        "delegate": {"type": "subworkflow", "params": {"workflow": "child", "data": {"n": 9}},
                     "result_to": "child"}
    }  # fmt: skip
    parent = start(tenant_a, publish(parent_doc))
    work()
    child = Instance.objects.for_tenant(tenant_a).get(parent=parent)
    assert child.status == "completed"
    done = reload(tenant_a, parent)
    assert done.status == "completed"
    assert done.data["child"]["n"] == 9 and done.data["child"]["out"]["seen"] == 9
    types = [e.type for e in history(tenant_a, parent)]
    assert types == ["started", "child_started", "child_ended", "transitioned"]


def test_one_instance_that_cannot_be_stored_becomes_an_incident_without_stalling_the_batch(
    tenant_a, publish, work
):
    bad_action = {"type": "python", "params": {"callable": "engine_tests.not_json"},
                  "result_to": "out"}  # fmt: skip
    bad = start(tenant_a, publish(linear(1, action=bad_action)))
    good = start(tenant_a, publish(linear(2)))
    work()
    assert reload(tenant_a, good).status == "completed"
    failed = reload(tenant_a, bad)
    assert (failed.status, failed.has_incident, failed.data) == ("failed", True, {})
    assert Incident.objects.for_tenant(tenant_a).get(instance=bad).code == "engine_error"


def test_a_step_held_by_its_dependencys_rate_limit_waits_on_a_timer_without_spending_an_attempt(
    tenant_a, publish, work
):
    doc = linear(1, action={**RECORD, "dependency": "bank"})
    doc["dependencies"] = {"bank": {"rate_limit": {"tps": 0.01, "burst": 1}}}
    version = publish(doc)
    first, second = start(tenant_a, version), start(tenant_a, version)
    work()
    assert reload(tenant_a, first).status == "completed"
    held = reload(tenant_a, second)
    assert (held.status, held.attempt) == ("waiting", 1)
    timer = Timer.objects.for_tenant(tenant_a).get(instance=second, kind="retry")
    assert (timer.due_at - timezone.now()).total_seconds() > 30
    assert [key for key, _ in callables.CALLS] == [f"wi-{first.pk}-1"]


def test_a_result_map_path_with_a_digit_that_is_not_ascii_maps_nothing(tenant_a, publish, work):
    action = {"type": "python", "params": {"callable": "engine_tests.listing"},
              "result_map": {"first": "items.0", "odd": "items.²"}}  # fmt: skip
    instance = start(tenant_a, publish(linear(1, action=action)))
    work()
    done = reload(tenant_a, instance)
    assert (done.status, done.data["first"], done.data["odd"]) == ("completed", "first", None)
