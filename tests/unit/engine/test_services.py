"""Starting, signalling, deciding and cancelling instances through the engine's services."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests.factories import reload, start
from workflow_platform.engine import executor, leases, scheduler, services
from workflow_platform.engine.journal import write_moves
from workflow_platform.engine.models import HistoryEvent, Incident, Instance, Timer
from workflow_platform.engine.services import instances as instance_services
from workflow_platform.errors import Conflict, InvalidInput, NotFound, Unprocessable
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist import services as worklist
from workflow_platform.worklist.models import HumanTask
from workflow_platform.worklist.signals import human_task_changed

from .conftest import linear

REVIEW = {
    "initial": "review",
    "states": [
        {"name": "review", "kind": "human",
         "task": {"title": "Review order {{ data.order }}", "assign": {"group": "reviewers"},
                  "due": "2h", "escalate_to": {"group": "leads"},
                  "form": {"type": "object", "required": ["score"],
                           "properties": {"score": {"type": "integer", "minimum": 1}}}}},
        {"name": "approved", "kind": "final"},
        {"name": "rejected", "kind": "final"},
    ],
    "transitions": [
        {"from": "review", "to": "approved", "on": "approve", "when": "event.score >= 3"},
        {"from": "review", "to": "rejected", "on": "reject"},
    ],
}  # fmt: skip

PARKED = {
    "initial": "waiting",
    "states": [{"name": "waiting"}, {"name": "paid", "kind": "final"},
               {"name": "expired", "kind": "final"}],
    "transitions": [
        {"from": "waiting", "to": "paid", "on": "payment_received"},
        {"from": "waiting", "to": "expired", "on": "timer", "after": "1h"},
    ],
}  # fmt: skip


def test_a_repeated_start_with_the_same_key_returns_the_same_instance(tenant_a, publish):
    version = publish(linear(1))
    first = start(tenant_a, version, {"a": 1}, idempotency_key="order-7")
    again = start(tenant_a, version, {"a": 1}, idempotency_key="order-7")
    assert again.pk == first.pk
    assert Instance.objects.for_tenant(tenant_a).count() == 1


def test_the_same_key_with_other_data_is_a_conflict(tenant_a, publish):
    version = publish(linear(1))
    start(tenant_a, version, {"a": 1}, idempotency_key="order-7")
    with pytest.raises(Conflict) as refused:
        start(tenant_a, version, {"a": 2}, idempotency_key="order-7")
    assert refused.value.code == "idempotency_key_reused"


def test_idempotency_keys_belong_to_one_tenant(tenant_a, tenant_b, publish):
    start(tenant_a, publish(linear(1), tenant=tenant_a), idempotency_key="k")
    other = publish({**linear(1), "key": "other"}, tenant=tenant_b)
    assert start(tenant_b, other, idempotency_key="k").tenant_id == tenant_b.pk


def test_starting_an_unpublished_workflow_or_bad_data_is_refused(tenant_a, publish):
    with pytest.raises(NotFound):
        services.start_instance(tenant=tenant_a, definition_key="nope", data={})
    with pytest.raises(InvalidInput):
        start(tenant_a, publish(linear(1)), data=["not", "an", "object"])


def test_bulk_start_is_set_based_and_keeps_item_order(
    tenant_a, publish, django_assert_max_num_queries
):
    version = publish(linear(2))
    start(tenant_a, version, {"n": 0}, idempotency_key="k-0")
    items = [{"data": {"n": i}, "idempotency_key": f"k-{i}"} for i in range(500)]
    # SQLite splits a bulk INSERT by its variable limit; still far from one per item.
    with django_assert_max_num_queries(30):
        started = services.start_instances(
            tenant=tenant_a, definition_key=version.definition.key, items=items
        )
    assert [i.data["n"] for i in started] == list(range(500))
    assert Instance.objects.for_tenant(tenant_a).count() == 500
    assert HistoryEvent.objects.for_tenant(tenant_a).filter(type="started").count() == 500


def test_bulk_start_is_all_or_nothing(tenant_a, publish):
    version = publish(linear(1))
    with pytest.raises(InvalidInput) as refused:
        services.start_instances(
            tenant=tenant_a, definition_key=version.definition.key,
            items=[{"data": {}}, {"data": "bad"}],
        )  # fmt: skip
    assert "Item 1" in refused.value.message
    assert not Instance.objects.for_tenant(tenant_a).exists()


def test_an_event_that_fits_no_transition_is_refused_and_changes_nothing(tenant_a, publish, work):
    instance = start(tenant_a, publish(PARKED))
    work()
    before = reload(tenant_a, instance)
    with pytest.raises(Conflict) as refused:
        services.send_event(tenant=tenant_a, instance_id=instance.pk, event="shipped")
    assert refused.value.code == "event_not_accepted"
    assert "accepts payment_received" in refused.value.message
    after = reload(tenant_a, instance)
    assert (after.seq, after.state, after.status, after.fence) == (
        before.seq, before.state, before.status, before.fence
    )  # fmt: skip


def test_an_event_moves_a_waiting_instance_and_its_payload_joins_the_data(tenant_a, publish, work):
    instance = start(tenant_a, publish(PARKED), {"order": 1})
    work()
    assert reload(tenant_a, instance).status == "waiting"
    services.send_event(
        tenant=tenant_a, instance_id=instance.pk, event="payment_received", payload={"paid": 10}
    )
    work()
    done = reload(tenant_a, instance)
    assert (done.state, done.status, done.data) == ("paid", "completed", {"order": 1, "paid": 10})
    # Leaving the state closed its timer: it will never fire.
    assert (
        not Timer.objects.for_tenant(tenant_a)
        .filter(instance=instance, fired_at=None, cancelled_at=None)
        .exists()
    )


def test_a_timer_transition_fires_once_even_if_swept_twice(tenant_a, publish, work):
    instance = start(tenant_a, publish(PARKED))
    work()
    later = timezone.now() + timezone.timedelta(hours=2)
    assert scheduler.sweep_due_timers(now=later) == 1
    assert scheduler.sweep_due_timers(now=later) == 0
    work()
    assert reload(tenant_a, instance).state == "expired"
    assert Timer.objects.for_tenant(tenant_a).get(instance=instance).fired_at is not None


def test_a_state_timeout_without_a_timeout_transition_opens_an_incident(tenant_a, publish, work):
    doc = {**PARKED, "states": [{"name": "waiting", "timeout": "5m"}, *PARKED["states"][1:]]}
    instance = start(tenant_a, publish(doc))
    work()
    scheduler.sweep_due_timers(now=timezone.now() + timezone.timedelta(minutes=10))
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.has_incident) == ("failed", True)


def test_a_state_timeout_loses_to_an_event_accepted_before_it_fell_due(tenant_a, publish, work):
    doc = {**PARKED, "states": [{"name": "waiting", "timeout": "5m"}, *PARKED["states"][1:]],
           "transitions": [*PARKED["transitions"],
                           {"from": "waiting", "to": "expired", "on": "timeout"}]}  # fmt: skip
    instance = start(tenant_a, publish(doc))
    work()
    services.send_event(tenant=tenant_a, instance_id=instance.pk, event="payment_received")
    # The timeout falls due before a worker took the accepted transition.
    scheduler.sweep_due_timers(now=timezone.now() + timezone.timedelta(minutes=10))
    work()
    assert reload(tenant_a, instance).state == "paid"
    call_command("replay_history")


AT_A_TIME = {
    "initial": "new",
    "states": [{"name": "new"}, {"name": "hold"}, {"name": "late", "kind": "final"}],
    "transitions": [{"from": "new", "to": "hold"},
                    {"from": "hold", "to": "late", "on": "timer", "at": "data.when"}],
}  # fmt: skip


def test_a_timer_whose_at_gives_no_date_is_an_incident_saying_why(tenant_a, publish, work):
    instance = start(tenant_a, publish(AT_A_TIME), {"when": "next tuesday"})
    work()
    failed = reload(tenant_a, instance)
    # The transition into the state failed: a retry would take it (and ask again).
    assert (failed.status, failed.state, failed.has_incident) == ("failed", "new", True)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert incident.code == "timer_not_scheduled"
    assert "hold → late" in incident.message and "'next tuesday'" in incident.message
    assert not Timer.objects.for_tenant(tenant_a).filter(instance=instance).exists()
    call_command("replay_history")


def test_a_start_whose_timer_gives_no_date_is_an_incident_saying_why(tenant_a, publish):
    version = publish({**AT_A_TIME, "initial": "hold"})
    instance = start(tenant_a, version, {"when": None})
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.state, failed.has_incident) == ("failed", "hold", True)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert incident.code == "timer_not_scheduled" and "data.when" in incident.message
    call_command("replay_history")


@pytest.mark.parametrize("rival_data", [{"a": 1}, {"a": "other"}])
def test_a_bulk_start_that_loses_a_race_for_a_key_answers_as_if_it_came_second(
    tenant_a, publish, monkeypatch, rival_data
):
    version = publish(linear(1))
    look_up, rivals = instance_services._new_or_existing, []

    def racing(*args):
        found = look_up(*args)
        if not rivals:  # another start with the key commits after our look-up
            rivals.append(start(tenant_a, version, rival_data, idempotency_key="k-1"))
        return found

    monkeypatch.setattr(instance_services, "_new_or_existing", racing)
    items = [{"data": {"a": 1}, "idempotency_key": "k-1"}, {"data": {"b": 2}}]
    if rival_data != {"a": 1}:
        with pytest.raises(Conflict) as refused:
            services.start_instances(tenant=tenant_a, definition_key=version.definition.key,
                                     items=items)  # fmt: skip
        assert refused.value.code == "idempotency_key_reused"
        return
    first, second = services.start_instances(
        tenant=tenant_a, definition_key=version.definition.key, items=items
    )
    assert first.pk == rivals[0].pk and second.pk != first.pk
    assert Instance.objects.for_tenant(tenant_a).count() == 2


def test_a_human_state_opens_a_routed_task_with_due_time_and_escalation(
    tenant_a, publish, make_member, work
):
    add_to_group(tenant=tenant_a, group_name="reviewers", user=make_member(tenant_a))
    add_to_group(tenant=tenant_a, group_name="leads", user=make_member(tenant_a))
    seen = []
    human_task_changed.connect(lambda sender, task, change, **kw: seen.append(change), weak=False,
                               dispatch_uid="test-seen")  # fmt: skip
    try:
        instance = start(tenant_a, publish(REVIEW), {"order": 42})
        task = HumanTask.objects.for_tenant(tenant_a).get(instance=instance)
        assert (task.title, task.group.name, task.status) == (
            "Review order 42",
            "reviewers",
            "open",
        )
        assert task.decisions == ["approve", "reject"]
        assert 7190 < (task.due_at - timezone.now()).total_seconds() <= 7200
        scheduler.sweep_due_timers(now=timezone.now() + timezone.timedelta(hours=3))
        task.refresh_from_db()
        assert task.group.name == "leads" and task.escalated_at is not None
        scheduler.sweep_due_timers(now=timezone.now() + timezone.timedelta(hours=4))
        assert seen == ["created", "escalated"]
    finally:
        human_task_changed.disconnect(dispatch_uid="test-seen")


def test_a_decision_with_valid_form_data_resumes_the_instance_once(
    tenant_a, publish, make_member, work
):
    user = make_member(tenant_a)
    instance = start(tenant_a, publish(REVIEW))
    task = HumanTask.objects.for_tenant(tenant_a).get(instance=instance)
    with pytest.raises(Unprocessable) as invalid:
        worklist.complete_human_task(
            tenant=tenant_a, task_id=task.pk, user=user, decision="approve", data={"score": 0}
        )
    assert invalid.value.code == "invalid_task_data"
    assert [d["field"] for d in invalid.value.details] == ["score"]
    with pytest.raises(InvalidInput):
        worklist.complete_human_task(
            tenant=tenant_a, task_id=task.pk, user=user, decision="ship", data={"score": 4}
        )
    worklist.complete_human_task(
        tenant=tenant_a, task_id=task.pk, user=user, decision="approve", data={"score": 4}
    )
    with pytest.raises(Conflict) as twice:
        worklist.complete_human_task(
            tenant=tenant_a, task_id=task.pk, user=user, decision="reject", data={"score": 1}
        )
    assert twice.value.code == "task_already_completed"
    work()
    done = reload(tenant_a, instance)
    assert (done.state, done.data) == ("approved", {"score": 4})


def test_cancel_stops_the_instance_and_closes_its_tasks_and_timers(tenant_a, publish, work):
    instance = start(tenant_a, publish(REVIEW))
    services.cancel_instance(tenant=tenant_a, instance_id=instance.pk, reason="customer left")
    assert reload(tenant_a, instance).status == "cancelled"
    assert HumanTask.objects.for_tenant(tenant_a).get(instance=instance).status == "cancelled"
    assert not Timer.objects.for_tenant(tenant_a).filter(instance=instance, cancelled_at=None)
    with pytest.raises(Conflict):
        services.cancel_instance(tenant=tenant_a, instance_id=instance.pk)


def test_cancel_during_an_action_drops_the_workers_commit(tenant_a, publish):
    instance = start(tenant_a, publish(linear(2)))
    (claimed,) = leases.claim(limit=1, owner="w")
    move = executor.advance(claimed)  # the action ran...
    services.cancel_instance(tenant=tenant_a, instance_id=instance.pk)  # ...then a cancel
    assert write_moves([move]) == []
    assert reload(tenant_a, instance).status == "cancelled"
    assert executor.run_ready() == 0


def test_replay_reproduces_every_instance_and_reports_tampering(tenant_a, publish, work, capsys):
    version = publish(linear(3))
    for i in range(3):
        start(tenant_a, version, {"i": i})
    parked = start(tenant_a, publish(PARKED))
    work()
    services.send_event(tenant=tenant_a, instance_id=parked.pk, event="payment_received",
                        payload={"paid": 1})  # fmt: skip
    work()
    call_command("replay_history")
    assert "no difference" in capsys.readouterr().out
    Instance.objects.for_tenant(tenant_a).filter(pk=parked.pk).update(data={"paid": 2})
    with pytest.raises(CommandError):
        call_command("replay_history")
    assert f"instance {parked.pk}: data" in capsys.readouterr().out


@pytest.mark.parametrize(
    "data",
    [
        {"note": "a\x00b"},
        {"a\x00": 1},
        {"deep": json.loads("[" * 70 + "]" * 70)},
        {"huge": json.loads("1e309")},
    ],
    ids=["nul-in-text", "nul-in-a-name", "nested-70-deep", "infinity"],
)
def test_data_postgresql_cannot_hold_or_nested_beyond_any_need_is_refused_before_writing(
    tenant_a, publish, data
):
    version = publish(linear(1))
    with pytest.raises(InvalidInput) as refused:
        start(tenant_a, version, data)
    assert refused.value.code == "bad_data"
    with tenant_scope(tenant_a):
        assert not Instance.objects.exists()
