"""Suspend, resume and redrive: nothing runs while suspended; redrive skips what succeeded."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import reload, start
from workflow_platform.engine import executor, scheduler, services
from workflow_platform.engine.models import Timer
from workflow_platform.errors import Conflict

from . import callables


def py(name, **extra):
    return {"type": "python", "params": {"callable": f"resilience.{name}"}, **extra}


def three_steps(retry="1m"):
    names = ["a", "b", "c", "done"]
    return {
        "initial": "a",
        "states": [{"name": n} for n in names[:-1]] + [{"name": "done", "kind": "final"}],
        "transitions": [
            {"from": "a", "to": "b", "action": "reserve"},
            {"from": "b", "to": "c", "action": "charge"},
            {"from": "c", "to": "done", "action": "step"},
        ],
        "actions": {
            "reserve": py("reserve"),
            "charge": py("charge", retry={"max_attempts": 2, "initial_interval": retry}),
            "step": py("step"),
        },
    }


@pytest.fixture(autouse=True)
def clear():
    callables.CALLS.clear()
    callables.FAILURES.clear()


def test_a_suspended_instance_runs_nothing_and_resumes_where_it_was(tenant_a, publish, work):
    instance = start(tenant_a, publish(three_steps()))
    services.suspend_instance(tenant=tenant_a, instance_id=instance.pk, reason="audit")
    assert work() == 0 and callables.CALLS == []
    with pytest.raises(Conflict) as error:
        services.send_event(tenant=tenant_a, instance_id=instance.pk, event="go")
    assert error.value.code == "event_not_accepted"  # no state ahead takes it: not kept
    resumed = services.resume_instance(tenant=tenant_a, instance_id=instance.pk)
    assert resumed.status == "created" and resumed.ready
    work()
    assert reload(tenant_a, instance).status == "completed"
    call_command("replay_history")


def test_a_retry_timer_due_while_suspended_waits_and_fires_after_resume(tenant_a, publish, work):
    callables.FAILURES["charge"] = 1
    instance = start(tenant_a, publish(three_steps()))
    work()
    assert reload(tenant_a, instance).status == "waiting"  # charge's retry in a minute
    services.suspend_instance(tenant=tenant_a, instance_id=instance.pk)
    later = timezone.now() + timedelta(minutes=5)
    assert scheduler.sweep_due_timers(now=later) == 0
    retry = Timer.objects.for_tenant(tenant_a).get(instance=instance, kind="retry")
    assert retry.fired_at is None  # still due, not spent
    services.resume_instance(tenant=tenant_a, instance_id=instance.pk)
    assert scheduler.sweep_due_timers(now=later) == 1
    work()
    assert reload(tenant_a, instance).status == "completed"
    call_command("replay_history")


def test_a_worker_that_loses_its_instance_to_a_suspension_commits_nothing(tenant_a, publish):
    from workflow_platform.engine import leases
    from workflow_platform.engine.journal import write_moves

    instance = start(tenant_a, publish(three_steps()))
    (claimed,) = leases.claim(limit=1, owner="w1")
    move = executor.advance(claimed)  # the action ran; the commit has not happened yet
    services.suspend_instance(tenant=tenant_a, instance_id=instance.pk)
    assert write_moves([move]) == []
    assert reload(tenant_a, instance).step == 0


def test_redrive_reruns_only_the_failed_step(tenant_a, publish, work):
    callables.FAILURES["charge"] = 2  # both attempts fail: an incident
    instance = start(tenant_a, publish(three_steps(retry="1ms")))
    work(timers=True, rounds=4)
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.has_incident, failed.state) == ("failed", True, "b")
    services.redrive_instance(tenant=tenant_a, instance_id=instance.pk)
    work()
    assert reload(tenant_a, instance).status == "completed"
    names = [name for name, _ in callables.CALLS]
    assert names == ["reserve", "charge", "charge", "charge", "step"]
    with pytest.raises(Conflict) as error:
        services.redrive_instance(tenant=tenant_a, instance_id=instance.pk)
    assert error.value.code == "instance_not_failed"
    call_command("replay_history")


def test_ended_instances_cannot_be_suspended(tenant_a, publish, work):
    instance = start(tenant_a, publish(three_steps()))
    work()
    with pytest.raises(Conflict) as error:
        services.suspend_instance(tenant=tenant_a, instance_id=instance.pk)
    assert error.value.code == "instance_not_suspendable"
    with pytest.raises(Conflict):
        services.resume_instance(tenant=tenant_a, instance_id=instance.pk)
