"""Sagas: a step that fails for good undoes the completed steps, newest first, once each."""

import pytest
from django.core.management import call_command

from tests.factories import reload, start
from workflow_platform.engine import services
from workflow_platform.engine.models import HistoryEvent, Incident, Instance
from workflow_platform.errors import Conflict
from workflow_platform.worklist.models import HumanTask

from . import callables


def py(name, **extra):
    return {"type": "python", "params": {"callable": f"resilience.{name}"}, **extra}


def saga(*, refund="refund", last="ship"):
    """reserve → charge → ship; reserve and charge have compensations."""
    return {
        "initial": "new",
        "states": [{"name": "new"}, {"name": "reserved"}, {"name": "charged"},
                   {"name": "shipped", "kind": "final"}],
        "transitions": [
            {"from": "new", "to": "reserved", "action": "reserve"},
            {"from": "reserved", "to": "charged", "action": "charge"},
            {"from": "charged", "to": "shipped", "action": last},
        ],
        "actions": {
            "reserve": py("reserve", compensation="unreserve"),
            "charge": py("charge", compensation="refund"),
            "ship": py("ship"),
            "unreserve": py("unreserve"),
            "refund": py(refund, retry={"max_attempts": 3, "initial_interval": "1s"}),
        },
    }  # fmt: skip


@pytest.fixture(autouse=True)
def clear():
    callables.CALLS.clear()
    callables.FAILURES.clear()


def types(tenant, instance):
    return list(
        HistoryEvent.objects.for_tenant(tenant)
        .filter(instance=instance)
        .order_by("seq")
        .values_list("type", flat=True)
    )


def test_a_saga_failing_at_step_3_compensates_2_then_1_once_each(tenant_a, publish, work):
    instance = start(tenant_a, publish(saga()))
    work()
    done = reload(tenant_a, instance)
    assert done.status == "compensated" and done.ended_at is not None
    i = instance.pk
    assert [
        ("reserve", f"wi-{i}-1"), ("charge", f"wi-{i}-2"), ("ship", f"wi-{i}-3"),
        ("refund", f"wi-{i}-2-undo"), ("unreserve", f"wi-{i}-1-undo"),
    ] == callables.CALLS  # fmt: skip
    assert types(tenant_a, instance)[-4:] == [
        "compensating", "compensation_ran", "compensation_ran", "compensated",
    ]  # fmt: skip
    assert not Incident.objects.for_tenant(tenant_a).filter(instance=instance).exists()
    call_command("replay_history")


def test_a_failing_compensation_is_retried_with_its_idempotency_key(tenant_a, publish, work):
    callables.FAILURES["refund"] = 2
    instance = start(tenant_a, publish(saga()))
    work(timers=True)
    assert reload(tenant_a, instance).status == "compensated"
    refunds = [key for name, key in callables.CALLS if name == "refund"]
    assert refunds == [f"wi-{instance.pk}-2-undo"] * 3
    assert types(tenant_a, instance).count("compensation_failed") == 2
    call_command("replay_history")


def test_a_compensation_failing_for_good_opens_an_incident_and_redrive_resumes_the_plan(
    tenant_a, publish, work
):
    instance = start(tenant_a, publish(saga(refund="refund_broken")))
    work()
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.has_incident) == ("failed", True)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert incident.code.startswith("compensation_failed") and incident.action == "refund"
    Instance.objects.for_tenant(tenant_a).filter(pk=instance.pk).update(
        data={**failed.data, "fixed": True}
    )
    HistoryEvent.objects.for_tenant(tenant_a).filter(instance=instance, seq=1).update(
        delta={"set": {"fixed": True}}
    )  # the operator's fix, kept replayable
    services.redrive_instance(tenant=tenant_a, instance_id=instance.pk)
    work()
    assert reload(tenant_a, instance).status == "compensated"
    names = [name for name, _ in callables.CALLS]
    # Nothing that succeeded ran again: one reserve, one charge, one ship, one unreserve.
    assert names == ["reserve", "charge", "ship", "refund_broken", "refund_broken", "unreserve"]
    call_command("replay_history")


def test_without_compensations_a_failure_still_opens_an_incident(tenant_a, publish, work):
    document = saga()
    for action in document["actions"].values():
        action.pop("compensation", None)
    instance = start(tenant_a, publish(document))
    work()
    assert reload(tenant_a, instance).status == "failed"
    assert Incident.objects.for_tenant(tenant_a).filter(instance=instance).count() == 1


def test_cancel_with_compensate_undoes_the_completed_steps(tenant_a, publish, work):
    document = saga()
    document["states"][2] = {"name": "charged", "kind": "human", "task": {"title": "Ship it?"}}
    document["transitions"][2]["on"] = "approve"
    instance = start(tenant_a, publish(document))
    work()
    assert reload(tenant_a, instance).status == "waiting"
    services.cancel_instance(tenant=tenant_a, instance_id=instance.pk, compensate=True)
    work()
    done = reload(tenant_a, instance)
    assert done.status == "compensated"
    assert [n for n, _ in callables.CALLS][-2:] == ["refund", "unreserve"]
    assert HumanTask.objects.for_tenant(tenant_a).get(instance=instance).status == "cancelled"
    with pytest.raises(Conflict) as error:
        services.cancel_instance(tenant=tenant_a, instance_id=instance.pk, compensate=True)
    assert error.value.code == "instance_ended"
    call_command("replay_history")


def test_a_compensation_waits_for_its_dependencys_limits_like_any_step(
    tenant_a, publish, work, settings
):
    from workflow_platform.definitions.models import Dependency
    from workflow_platform.engine import admission, limits
    from workflow_platform.engine.models import Timer
    from workflow_platform.tenancy.scoping import tenant_scope

    settings.WORKFLOW_LIMITS_BACKEND = "database"
    admission._DEPENDENCY_ROWS.clear()
    with tenant_scope(tenant_a):
        Dependency.objects.create(tenant=tenant_a, name="stock", concurrency_limit=1)
    document = saga()
    document["actions"]["unreserve"]["dependency"] = "stock"
    version = publish(document)
    stock = admission.limits_of(version.machine, "stock", tenant_a.pk)
    busy = limits.admit(tenant_id=tenant_a.pk, dependency=stock)  # its one slot is taken
    instance = start(tenant_a, version)
    work()
    held = reload(tenant_a, instance)
    assert (held.status, held.attempt) == ("compensating", 1)
    assert "unreserve" not in [name for name, _ in callables.CALLS]  # not called past the limit
    event = HistoryEvent.objects.for_tenant(tenant_a).filter(instance=instance).last()
    assert (event.type, event.detail["code"]) == ("compensation_failed", "bulkhead_full")
    assert Timer.objects.for_tenant(tenant_a).filter(instance=instance, kind="retry",
                                                     fired_at__isnull=True).exists()  # fmt: skip
    limits.release(tenant_id=tenant_a.pk, dependency=stock, slot=busy.slot)
    work(timers=True, rounds=3)
    assert reload(tenant_a, instance).status == "compensated"
    assert [name for name, _ in callables.CALLS][-1] == "unreserve"
    assert limits.snapshot(tenant_id=tenant_a.pk, dependency=stock)["in_flight"] == 0
    admission._DEPENDENCY_ROWS.clear()
    call_command("replay_history")


def test_a_compensation_paced_by_a_429_waits_its_retry_after_without_spending_an_attempt(
    tenant_a, publish, work
):
    from workflow_platform.engine.models import Timer

    callables.FAILURES["paced"] = 1
    instance = start(tenant_a, publish(saga(refund="refund_paced")))
    work()
    held = reload(tenant_a, instance)
    assert (held.status, held.attempt) == ("compensating", 1)
    timer = Timer.objects.for_tenant(tenant_a).get(instance=instance, kind="retry")
    paced = HistoryEvent.objects.for_tenant(tenant_a).filter(instance=instance).last()
    assert (timer.due_at - paced.created_at).total_seconds() == pytest.approx(30, abs=1)
    work(timers=True, rounds=3)
    assert reload(tenant_a, instance).status == "compensated"
