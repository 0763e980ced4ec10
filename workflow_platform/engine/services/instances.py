"""Instance services: start, signal and cancel instances (retrying an incident is a
repair, in repairs.py).

They never run an action themselves: they commit the change and the ``ready`` flag,
and a worker runs the rest (nudged after the commit; the outbox sweep covers a lost
nudge). A change that
comes from outside a worker (an event, a decision, a cancel, a retry) bumps the
instance's fencing token, so a worker still holding an old lease cannot overwrite it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from workflow_platform.errors import Conflict, InvalidInput

from .. import dispatch, fanout, starting
from ..journal import drop_open_work, lock_instance, lock_parent_of, save_one
from ..machines import machine_of_version
from ..models import OPEN, HistoryEvent, Instance, Status
from ..moves import Move, end_cancelled
from ..pending import Pending, resumed_status
from ..sagas import plan_for
from ..signals import Change
from ..stepping import accept_event

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant


class Started(NamedTuple):
    """What :func:`start_or_find_instance` did: the instance, and whether this call made it."""

    instance: Instance
    created: bool


def start_or_find_instance(
    *,
    tenant: Tenant,
    definition_key: str,
    data: dict | None,
    idempotency_key: str | None = None,
    business_key: str = "",
    priority: int = 0,
    user=None,
) -> Started:
    """Start an instance of the latest published version of ``definition_key``, or find the
    one an earlier start with the same ``idempotency_key`` made.

    Idempotent on (tenant, ``idempotency_key``): the same key with the same request
    returns the instance the first call started, with ``created`` false (also when a
    concurrent start with that key won the race); with other data it raises Conflict
    ``idempotency_key_reused``. Raises NotFound when nothing is published, InvalidInput
    for data that is not a JSON object. The instance, its entry into the initial state
    and its first history event are committed together.
    """
    instance, created = starting.start_one(
        tenant=tenant,
        definition_key=definition_key,
        data=data,
        idempotency_key=idempotency_key,
        business_key=business_key or "",
        priority=int(priority or 0),
        user=user,
    )
    if created and instance.ready:
        dispatch.nudge_starts()
    return Started(instance, created)


def start_instance(
    *,
    tenant: Tenant,
    definition_key: str,
    data: dict | None,
    idempotency_key: str | None = None,
    business_key: str = "",
    priority: int = 0,
    user=None,
) -> Instance:
    """:func:`start_or_find_instance` for callers that need only the instance."""
    return start_or_find_instance(
        tenant=tenant,
        definition_key=definition_key,
        data=data,
        idempotency_key=idempotency_key,
        business_key=business_key,
        priority=priority,
        user=user,
    ).instance


@transaction.atomic
def start_instances(*, tenant: Tenant, definition_key: str, items: list[dict]) -> list[Instance]:
    """Start many instances with a few set-based statements; returned in ``items`` order.

    Each item: ``{"data": {...}, "business_key": "", "priority": 0, "idempotency_key":
    None}``. All or nothing: one bad item (InvalidInput, naming its index) or a reused
    idempotency key with other data (Conflict) starts none. Items whose key was already
    used for the same request return the existing instance, also when that start raced
    this one and committed first.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("bad_items", "Give a non-empty list of items to start.")
    if len(items) > 10_000:
        raise InvalidInput("too_many_items", "Start at most 10,000 instances at once.")
    version = starting.published_version_of(tenant, definition_key)
    parsed = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput("bad_item", f"Item {index} is not an object.")
        try:
            data = starting.check_data(item.get("data"))
        except InvalidInput as error:
            raise InvalidInput("bad_item", f"Item {index}: {error.message}") from error
        business_key = str(item.get("business_key") or "")
        priority = int(item.get("priority") or 0)
        key = str(item.get("idempotency_key") or "").strip()[:200]
        hash_ = starting.request_hash(
            definition_key=definition_key, data=data, business_key=business_key, priority=priority
        )
        parsed.append((data, business_key, priority, key, hash_))
    keys = [p[3] for p in parsed if p[3]]
    if len(keys) != len(set(keys)):
        raise InvalidInput("duplicate_idempotency_key", "Two items share an idempotency key.")
    for tries in range(3):
        result, moves = _new_or_existing(tenant, version, parsed, keys)
        try:
            with transaction.atomic():  # a savepoint: a lost race must not break the rest
                starting.write_new(moves)
            break
        except IntegrityError as error:
            # A concurrent start with one of these keys committed first (after the lookup
            # above): look again, and answer for that key as if we had come second.
            if not keys:
                raise
            if tries == 2:
                raise Conflict(
                    "idempotency_key_in_use",
                    "Other starts with these idempotency keys keep committing first; "
                    "send the request again.",
                ) from error
    ready = sum(1 for m in moves if m.instance.ready)
    if ready:
        dispatch.nudge_starts(ready)
    return [r.instance if isinstance(r, Move) else r for r in result]


def _new_or_existing(
    tenant: Tenant, version, parsed, keys
) -> tuple[list[Instance | Move], list[Move]]:
    """Per item, the instance its idempotency key already started, or a new start's move."""
    existing = {
        inst.idempotency_key: inst
        for inst in Instance.objects.for_tenant(tenant).filter(idempotency_key__in=keys)
    }
    now = timezone.now()
    result: list[Instance | Move] = []
    moves = []
    for data, business_key, priority, key, hash_ in parsed:
        if key in existing:
            result.append(starting.same_request(existing[key], key, hash_))
            continue
        move = starting.prepare(
            tenant=tenant,
            version=version,
            data=data,
            business_key=business_key,
            priority=priority,
            idempotency_key=key,
            hash_=hash_,
            now=now,
        )
        moves.append(move)
        result.append(move)
    return result, moves


def send_event(
    *, tenant: Tenant, instance_id: int, event: str, payload: dict | None = None, user=None
) -> Instance:
    """Send ``event`` (with an optional JSON object ``payload``) to a waiting instance.

    Atomic. The first transition out of the current state on ``event`` whose guard holds
    is taken by a worker (its action runs there); the payload is merged into the data.
    Raises Conflict ``event_not_accepted`` (nothing changes) when no transition fits,
    Conflict ``instance_busy`` when the instance is not waiting, NotFound, InvalidInput.
    """
    if not isinstance(event, str) or not event.strip():
        raise InvalidInput("bad_event", "An event needs a name.")
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("bad_payload", "An event's payload must be a JSON object.")
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        now = timezone.now()
        move = accept_event(instance, event=event.strip(), payload=payload, user=user, now=now)
        save_one(move, now=now)
        dispatch.nudge_steps()
    return instance


def cancel_instance(
    *, tenant: Tenant, instance_id: int, user=None, reason: str = "", compensate: bool = False
) -> Instance:
    """Cancel an instance: nothing more runs; its open tasks and timers close.

    Atomic; a worker in the middle of an action loses its lease (fence) and its commit
    is dropped. Raises NotFound, Conflict ``instance_ended`` when already over. With
    ``compensate`` the completed steps are undone first (cancel_and_compensate):
    the instance ends ``compensated``.
    """
    if compensate:
        return cancel_and_compensate(
            tenant=tenant, instance_id=instance_id, user=user, reason=reason
        )
    with transaction.atomic():
        lock_parent_of(tenant, instance_id)
        instance = lock_instance(tenant, instance_id)
        if instance.status not in (*OPEN, Status.FAILED):
            raise Conflict(
                "instance_ended", f"Instance {instance.pk} is already {instance.status}."
            )
        now = timezone.now()
        end_cancelled(instance, now=now)
        move = Move(instance=instance, changes=[Change.CANCELLED])
        move.record(
            HistoryEvent.Type.CANCELLED,
            now=now,
            from_state=instance.state,
            user=user,
            detail={"reason": reason[:500]} if reason else None,
        )
        save_one(move, now=now)
        drop_open_work(tenant, instance, now=now, user=user)
        # Its unfinished children go with it; a parallel parent learns its branch ended.
        fanout.after_cancel(move, now=now)
    return instance


def cancel_and_compensate(
    *, tenant: Tenant, instance_id: int, user=None, reason: str = ""
) -> Instance:
    """Cancel an instance and undo its completed steps (they run on a worker).

    Atomic: open tasks, timers and incidents close, the instance turns ``compensating``
    and is made ready; a worker holding its lease loses it (fence). Without any
    compensable completed step it is simply cancelled. Raises NotFound, Conflict
    ``instance_ended`` (over already) or ``instance_compensating``.
    """
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        if instance.status == Status.COMPENSATING:
            raise Conflict(
                "instance_compensating", f"Instance {instance.pk} is already compensating."
            )
        if instance.status in (Status.COMPLETED, Status.COMPENSATED, Status.CANCELLED):
            raise Conflict(
                "instance_ended", f"Instance {instance.pk} is already {instance.status}."
            )
        machine = machine_of_version(instance.version_id)
        plan = plan_for(instance, machine)
        if not plan:
            return cancel_instance(tenant=tenant, instance_id=instance_id, user=user, reason=reason)
        now = timezone.now()
        if instance.status == Status.SUSPENDED:
            instance.resume(resumed_status(instance.pending))
        if instance.status == Status.FAILED:
            instance.has_incident = False
        elif instance.status != Status.RUNNING:
            instance.run()
        instance.start_compensating()
        instance.pending = Pending(compensations=plan, cancelled=True)
        instance.attempt = 1
        instance.ended_at = None  # not over yet, even if it had reached a failed state
        instance.ready = True
        instance.lease_owner = ""
        instance.lease_expires_at = None
        move = Move(instance=instance, changes=[Change.COMPENSATING])
        move.record(
            HistoryEvent.Type.COMPENSATING,
            now=now,
            from_state=instance.state,
            user=user,
            detail={
                "code": "cancelled",
                "message": reason[:500] or "Cancelled with compensation.",
                "plan": [f"{c['compensation']} (step {c['step']})" for c in plan],
            },
        )
        save_one(move, now=now)
        drop_open_work(tenant, instance, now=now, user=user)
        dispatch.nudge_steps()
    return instance
