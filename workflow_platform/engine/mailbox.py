"""An instance's mailbox: events sent while it cannot take them wait, in order (signals).

``send_event`` used to refuse an event unless the instance was waiting with nothing
pending (``instance_busy``). Now every event sent to an instance that has not ended is
kept as a :class:`~.models.BufferedEvent` row, in the sender's transaction, and taken
the moment the instance can take it:

- taken at once when the instance waits in a state that accepts it (any event still
  queued then is one that state does not take); otherwise queued;
- whenever a commit leaves the instance waiting with nothing pending, the oldest queued
  event its state accepts is taken (a queued event a later state accepts stays queued:
  "selective receive", so one such event never blocks those behind it);
- refused with a reason, never silently kept, when no state the instance can still reach
  accepts it (checked when sent: a 409 then, nothing stored) or when the instance ends
  first; a refusal is a history event ``event_refused`` and the row says why.

The count of queued events is a column of the instance (``events_queued``) that only the
mailbox writes, under the row lock, so the engine's commits read it back (``RETURNING``)
and look in the mailbox only when something is there: no cost for instances without.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import F

from workflow_platform.errors import Conflict, InvalidInput
from workflow_platform.tenancy.scoping import all_tenants

from .machines import machine_of_version
from .models import ENDED, BufferedEvent, HistoryEvent, Instance, Status
from .moves import Move
from .stepping import accept_event


def can_take_now(instance: Instance) -> bool:
    """The instance rests in a state and may take an event this moment."""
    return instance.status == Status.WAITING and not instance.pending


def refuse_unreachable(instance: Instance, event: str) -> None:
    """Conflict ``event_not_accepted`` (nothing stored) for an event no state ahead takes."""
    if instance.status in ENDED:
        raise Conflict("instance_ended", f"Instance {instance.pk} is already {instance.status}.")
    machine = machine_of_version(instance.version_id)
    if event not in machine.events_ahead(instance.state):
        ahead = sorted(machine.events_ahead(instance.state))
        raise Conflict(
            "event_not_accepted",
            f"Event '{event}' was refused: from '{instance.state}' on, instance "
            f"{instance.pk} accepts {', '.join(ahead) or 'no events'}; no state it can "
            "still reach accepts it.",
        )


def accepts_now(instance: Instance, event: str) -> bool:
    """Taking ``event`` now is possible: the instance rests in a state that takes it.

    Events still queued for a resting instance are ones its state does not take (the
    commit that left it at rest took the oldest it does), so none is overtaken.
    """
    if not can_take_now(instance):
        return False
    return event in machine_of_version(instance.version_id).events_of(instance.state)


def enqueue(instance: Instance, *, now: datetime, **sent: Any) -> BufferedEvent:
    """Keep an event for later (inside the caller's transaction, row locked)."""
    queued = _row(instance, BufferedEvent.Status.QUEUED, now=now, **sent)
    with all_tenants():  # system code on one instance the caller has locked
        Instance.objects.filter(pk=instance.pk).update(events_queued=F("events_queued") + 1)
    instance.events_queued += 1
    return queued


def record_delivered(instance: Instance, *, now: datetime, **sent: Any) -> BufferedEvent:
    """The row of an event taken at once (so its idempotency key holds)."""
    return _row(instance, BufferedEvent.Status.DELIVERED, now=now, settled_at=now, **sent)


def _row(
    instance: Instance,
    status: str,
    *,
    event: str,
    payload: dict | None,
    idempotency_key: str,
    user: Any,
    now: datetime,
    settled_at: datetime | None = None,
) -> BufferedEvent:
    return BufferedEvent.objects.create(
        tenant_id=instance.tenant_id,
        instance=instance,
        event=event,
        payload=payload or {},
        idempotency_key=idempotency_key,
        status=status,
        sent_by=user if getattr(user, "pk", None) else None,
        sent_at=now,
        settled_at=settled_at,
    )


def deliver_queued(moves: Iterable[Move], *, now: datetime) -> list[Move]:
    """Take or refuse the queued events of the instances these written moves left at rest.

    Inside the commit's transaction, the instances' rows locked and their
    ``events_queued`` current. Returns the follow-up moves (history, a pending
    transition) for the caller to write; the mailbox's own rows are written here.
    """
    follow_ups = []
    for move in moves:
        inst = move.instance
        if not inst.events_queued or not (can_take_now(inst) or inst.status in ENDED):
            continue
        follow_up = Move(instance=inst)
        _settle(follow_up, now=now)
        if follow_up.history:
            follow_ups.append(follow_up)
    return follow_ups


def _settle(move: Move, *, now: datetime) -> None:
    inst = move.instance
    machine = machine_of_version(inst.version_id)
    ahead = set() if inst.status in ENDED else machine.events_ahead(inst.state)
    accepted = machine.events_of(inst.state) if can_take_now(inst) else []
    with all_tenants():  # system code on one instance the caller has locked
        queued = list(
            BufferedEvent.objects.filter(instance_id=inst.pk, status=BufferedEvent.Status.QUEUED)
            .select_related("sent_by")
            .select_for_update(of=("self",))
            .order_by("id")
        )
    settled = 0
    for buffered in queued:
        if buffered.event not in ahead:
            why = (
                f"the instance ended {inst.status} first"
                if inst.status in ENDED
                else f"no state it can still reach from '{inst.state}' accepts it"
            )
            _refuse(move, buffered, why, now=now)
            settled += 1
        elif buffered.event in accepted:
            settled += 1
            try:  # as an event sent now would be: the same choice, the same refusals
                accept_event(
                    inst, event=buffered.event, payload=buffered.payload,
                    user=buffered.sent_by, now=now, move=move,
                    detail={"buffered": buffered.pk, "sent_at": buffered.sent_at.isoformat()},
                )  # fmt: skip
            except (Conflict, InvalidInput) as refusal:
                _refuse(move, buffered, refusal.message, now=now)
                continue
            buffered.status, buffered.settled_at = BufferedEvent.Status.DELIVERED, now
            buffered.save(update_fields=["status", "settled_at"])
            break  # the instance now has a transition pending; the rest wait for it
    if settled:
        with all_tenants():
            Instance.objects.filter(pk=inst.pk).update(events_queued=F("events_queued") - settled)
        inst.events_queued -= settled


def _refuse(move: Move, buffered: BufferedEvent, why: str, *, now: datetime) -> None:
    move.record(
        HistoryEvent.Type.EVENT_REFUSED,
        now=now,
        from_state=move.instance.state,
        event=buffered.event,
        detail={"buffered": buffered.pk, "reason": why},
    )
    buffered.status, buffered.settled_at = BufferedEvent.Status.REFUSED, now
    buffered.reason = why[:2000]
    buffered.save(update_fields=["status", "settled_at", "reason"])
