"""Events sent to an instance that cannot take them yet wait in its mailbox, in order (#18).

The instance below starts in ``work`` (automatic steps), then rests in ``collect``, which
takes ``item`` (looping back) and ``finish``; ``review`` after it takes ``approve``. With
``fast`` in the data it goes straight to ``done`` and never reaches either.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.factories import reload, start
from workflow_platform.engine import services
from workflow_platform.engine.models import BufferedEvent, HistoryEvent
from workflow_platform.errors import Conflict

MAILBOX = {
    "initial": "work",
    "states": [{"name": "work"}, {"name": "collect"}, {"name": "review"},
               {"name": "done", "kind": "final"}],
    "transitions": [
        {"from": "work", "to": "done", "when": "data.fast", "order": 1},
        {"from": "work", "to": "collect", "order": 2},
        {"from": "collect", "to": "collect", "on": "item", "when": "event.n >= 0"},
        {"from": "collect", "to": "review", "on": "finish"},
        {"from": "review", "to": "done", "on": "approve"},
    ],
}  # fmt: skip


@pytest.fixture
def busy(tenant_a, publish):
    """A new instance: created, its automatic steps not yet run, so it cannot take events."""

    def make(**data):
        return start(tenant_a, publish(MAILBOX), {"fast": False, **data})

    return make


def send(tenant, instance, event, **options):
    return services.send_event(tenant=tenant, instance_id=instance.pk, event=event, **options)


def accepted_payloads(tenant, instance) -> list:
    events = HistoryEvent.objects.for_tenant(tenant).filter(
        instance=instance, type=HistoryEvent.Type.EVENT_ACCEPTED
    )
    return [(e.event, (e.detail or {}).get("payload")) for e in events.order_by("seq")]


def mailbox(tenant, instance) -> list[tuple[str, str]]:
    rows = BufferedEvent.objects.for_tenant(tenant).filter(instance=instance).order_by("id")
    return [(row.event, row.status) for row in rows]


def test_an_event_sent_while_busy_is_kept_and_taken_when_the_state_accepts_it(tenant_a, busy, work):
    instance = busy()
    sent = send(tenant_a, instance, "item", payload={"n": 1})
    assert sent.event.status == "queued"
    assert reload(tenant_a, instance).events_queued == 1
    work()
    rested = reload(tenant_a, instance)
    assert (rested.state, rested.status, rested.events_queued) == ("collect", "waiting", 0)
    assert rested.data["n"] == 1
    assert accepted_payloads(tenant_a, instance) == [("item", {"n": 1})]
    assert mailbox(tenant_a, instance) == [("item", "delivered")]


def test_events_are_taken_once_each_in_the_order_sent(tenant_a, busy, work):
    instance = busy()
    for n in range(6):
        send(tenant_a, instance, "item", payload={"n": n})
    work()
    assert accepted_payloads(tenant_a, instance) == [("item", {"n": n}) for n in range(6)]
    assert reload(tenant_a, instance).data["n"] == 5
    assert {status for _, status in mailbox(tenant_a, instance)} == {"delivered"}


def test_an_event_for_a_later_state_waits_without_blocking_those_behind_it(tenant_a, busy, work):
    instance = busy()
    send(tenant_a, instance, "approve")  # only review takes it
    send(tenant_a, instance, "item", payload={"n": 7})
    work()
    assert mailbox(tenant_a, instance) == [("approve", "queued"), ("item", "delivered")]
    assert reload(tenant_a, instance).state == "collect"
    send(tenant_a, instance, "finish")  # taken now: collect rests with nothing pending
    work()
    done = reload(tenant_a, instance)
    assert (done.state, done.status, done.events_queued) == ("done", "completed", 0)
    assert [event for event, _ in accepted_payloads(tenant_a, instance)] == [
        "item", "finish", "approve"
    ]  # fmt: skip


def test_an_event_no_state_ahead_accepts_is_refused_when_sent_and_not_kept(tenant_a, busy):
    instance = busy()
    with pytest.raises(Conflict) as refused:
        send(tenant_a, instance, "shipped")
    assert refused.value.code == "event_not_accepted"
    assert "accepts approve, finish, item" in refused.value.message
    assert mailbox(tenant_a, instance) == []


def test_a_queued_event_is_refused_with_its_reason_when_the_instance_ends_first(
    tenant_a, busy, work
):
    instance = busy(fast=True)
    send(tenant_a, instance, "approve")
    work()
    done = reload(tenant_a, instance)
    assert (done.status, done.events_queued) == ("completed", 0)
    row = BufferedEvent.objects.for_tenant(tenant_a).get(instance=instance)
    assert (row.status, row.reason) == ("refused", "the instance ended completed first")
    refusal = HistoryEvent.objects.for_tenant(tenant_a).get(instance=instance, type="event_refused")
    assert refusal.event == "approve" and refusal.detail["reason"] == row.reason
    with pytest.raises(Conflict) as ended:
        send(tenant_a, instance, "approve")
    assert ended.value.code == "instance_ended"
    call_command("replay_history")  # the history, refusals included, rebuilds the row


def test_a_queued_event_whose_guard_fails_when_its_turn_comes_is_refused(tenant_a, busy, work):
    instance = busy()
    send(tenant_a, instance, "item", payload={"n": -1})
    send(tenant_a, instance, "item", payload={"n": 2})
    work()
    assert mailbox(tenant_a, instance) == [("item", "refused"), ("item", "delivered")]
    row = BufferedEvent.objects.for_tenant(tenant_a).filter(status="refused").get()
    assert "no guard of 'item' holds" in row.reason
    assert reload(tenant_a, instance).data["n"] == 2


def test_the_same_idempotency_key_sends_once(tenant_a, busy, work):
    instance = busy()
    first = send(tenant_a, instance, "item", payload={"n": 1}, idempotency_key="k-1")
    again = send(tenant_a, instance, "item", payload={"n": 1}, idempotency_key="k-1")
    assert again.replayed and again.event.pk == first.event.pk
    with pytest.raises(Conflict) as reused:
        send(tenant_a, instance, "item", payload={"n": 9}, idempotency_key="k-1")
    assert reused.value.code == "idempotency_key_reused"
    work()
    assert accepted_payloads(tenant_a, instance) == [("item", {"n": 1})]
    # Taken at once, the key holds too.
    send(tenant_a, instance, "item", payload={"n": 3}, idempotency_key="k-2")
    send(tenant_a, instance, "item", payload={"n": 3}, idempotency_key="k-2")
    work()
    assert len(accepted_payloads(tenant_a, instance)) == 2


def test_a_resting_instance_takes_an_event_at_once_and_queues_the_next(tenant_a, busy, work):
    instance = busy()
    work()
    sent = send(tenant_a, instance, "item", payload={"n": 4})
    assert sent.event.status == "delivered" and reload(tenant_a, instance).ready
    # A transition is pending now: the next event waits for it instead of a 409.
    assert send(tenant_a, instance, "finish").event.status == "queued"
    work()
    assert reload(tenant_a, instance).state == "review"
    assert [event for event, _ in accepted_payloads(tenant_a, instance)] == ["item", "finish"]


def test_an_event_sent_to_a_suspended_instance_is_taken_after_the_resume(tenant_a, busy, work):
    instance = busy()
    work()
    services.suspend_instance(tenant=tenant_a, instance_id=instance.pk, reason="audit")
    assert send(tenant_a, instance, "item", payload={"n": 8}).event.status == "queued"
    assert work() == 0
    services.resume_instance(tenant=tenant_a, instance_id=instance.pk)
    work()
    assert accepted_payloads(tenant_a, instance) == [("item", {"n": 8})]
    assert mailbox(tenant_a, instance) == [("item", "delivered")]
