"""The wait queue: a completion token ends a wait once; polls back off; deadlines fire."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import reload, start
from workflow_platform.engine import waiting
from workflow_platform.engine.models import HistoryEvent, Timer
from workflow_platform.errors import Conflict, NotFound

from . import callables


def py(name, **extra):
    return {"type": "python", "params": {"callable": f"resilience.{name}"}, **extra}


def export(*, poll=False, deadline=None):
    """submit → awaiting (a wait state) → done on `completed`, expired on `deadline`."""
    wait = {"interval": "10s", "backoff": 2, "max_interval": "30s"}
    if poll:
        wait["poll"] = "check"
    if deadline:
        wait["deadline"] = deadline
    return {
        "initial": "new",
        "states": [{"name": "new"}, {"name": "awaiting", "kind": "wait", "wait": wait},
                   {"name": "done", "kind": "final"}, {"name": "expired", "kind": "final"}],
        "transitions": [
            {"from": "new", "to": "awaiting", "action": "submit"},
            {"from": "awaiting", "to": "done", "on": "completed"},
            {"from": "awaiting", "to": "expired", "on": "deadline"},
        ],
        "actions": {"submit": py("submit"), "check": py("poll")},
    }  # fmt: skip


@pytest.fixture(autouse=True)
def clear():
    callables.CALLS.clear()
    callables.TOKENS.clear()
    callables.POLLS.clear()


def test_the_action_entering_a_wait_gets_a_token_that_ends_the_wait_at_once(
    tenant_a, publish, work
):
    instance = start(tenant_a, publish(export()))
    work()
    assert reload(tenant_a, instance).status == "waiting"
    (token,) = callables.TOKENS
    stored = Timer.objects.for_tenant(tenant_a).get(instance=instance, kind="wait")
    assert token not in str(stored.payload)  # only its hash is stored
    waiting.complete_wait(token=token, payload={"report": "s3://x"})
    work()
    done = reload(tenant_a, instance)
    assert (done.status, done.state, done.data["report"]) == ("completed", "done", "s3://x")
    call_command("replay_history")


def test_repeated_late_and_forged_completions_change_nothing(tenant_a, publish, work):
    instance = start(tenant_a, publish(export()))
    work()
    (token,) = callables.TOKENS
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(NotFound) as error:
        waiting.complete_wait(token=forged, payload={})
    assert error.value.code == "wait_not_found"
    with pytest.raises(NotFound):
        waiting.complete_wait(token="not-a-token", payload={})
    assert reload(tenant_a, instance).status == "waiting"
    waiting.complete_wait(token=token, payload={"n": 1})
    seq = reload(tenant_a, instance).seq
    with pytest.raises(Conflict) as error:
        waiting.complete_wait(token=token, payload={"n": 2})
    assert error.value.code == "wait_already_ended"
    work()
    with pytest.raises(Conflict):
        waiting.complete_wait(token=token, payload={"n": 3})  # late: the instance moved on
    done = reload(tenant_a, instance)
    assert done.data["n"] == 1 and done.seq == seq + 1  # only the first one's transition
    assert (
        HistoryEvent.objects.for_tenant(tenant_a)
        .filter(instance=instance, event="completed", type="event_accepted")
        .count()
        == 1
    )


def test_polls_back_off_up_to_max_interval_until_the_operation_is_done(tenant_a, publish, work):
    callables.POLLS["poll"] = 3
    instance = start(tenant_a, publish(export(poll=True)))
    work()
    intervals = []
    for _ in range(4):
        poll = Timer.objects.for_tenant(tenant_a).get(
            instance=instance, kind="poll", fired_at__isnull=True
        )
        intervals.append(poll.payload["interval"])
        assert waiting.run_due(now=poll.due_at + timedelta(milliseconds=1)) == 1
        if reload(tenant_a, instance).pending:
            break
    assert intervals == [10.0, 20.0, 30.0, 30.0]  # 10s, x2, capped at 30s
    work()
    done = reload(tenant_a, instance)
    assert (done.state, done.data["report"]) == ("done", "ready")
    assert [n for n, _ in callables.CALLS].count("poll") == 4
    call_command("replay_history")


def test_a_wait_past_its_deadline_fires_the_deadline_event(tenant_a, publish, work):
    instance = start(tenant_a, publish(export(deadline="1h")))
    work()
    waiting.run_due(now=timezone.now() + timedelta(minutes=59))
    assert reload(tenant_a, instance).state == "awaiting"
    waiting.run_due(now=timezone.now() + timedelta(hours=1, seconds=1))
    work()
    assert reload(tenant_a, instance).state == "expired"
    (token,) = callables.TOKENS
    with pytest.raises(Conflict):
        waiting.complete_wait(token=token, payload={})
    call_command("replay_history")


def test_the_scheduler_sweep_leaves_polls_to_the_waits_queue(tenant_a, publish, work, nudges):
    from workflow_platform.engine import scheduler

    instance = start(tenant_a, publish(export(poll=True)))
    work()
    scheduler.sweep_due_timers(now=timezone.now() + timedelta(minutes=5))
    assert ("engine.waits.run_due", "waits", 1) in nudges
    assert Timer.objects.for_tenant(tenant_a).get(instance=instance, kind="poll").fired_at is None


def test_a_claimed_poll_is_held_for_as_long_as_its_action_may_run(
    tenant_a, publish, work, monkeypatch
):
    document = export(poll=True)
    document["actions"]["check"]["timeout"] = "4m"
    instance = start(tenant_a, publish(document))
    work()
    poll = Timer.objects.for_tenant(tenant_a).get(instance=instance, kind="poll")
    fired = []
    # This poller dies in the middle of its poll: it never fires the timer.
    monkeypatch.setattr(waiting, "_fire", lambda timer_id: fired.append(timer_id) or 0)
    waiting.run_due(now=poll.due_at)
    assert fired == [poll.pk]
    # Another poller finds it still held while the poll may run (4 minutes), not after
    # a fixed minute: the same poll does not run twice at once.
    waiting.run_due(now=poll.due_at + timedelta(minutes=3))
    assert fired == [poll.pk]
    waiting.run_due(now=poll.due_at + timedelta(minutes=5))  # the poller is gone: it returns
    assert fired == [poll.pk, poll.pk]


@pytest.mark.parametrize("token", ["².1.secret", "1.³.secret", "١.1.secret"])
def test_a_token_with_digits_that_are_not_ascii_is_not_found(token):
    with pytest.raises(NotFound) as error:
        waiting.complete_wait(token=token, payload={})
    assert error.value.code == "wait_not_found"
