"""Instance services: start, signal (events, kept in order until taken) and cancel
instances (retrying an incident is a repair, in repairs.py).

They never run an action themselves: they commit the change and the ``ready`` flag,
and a worker runs the rest (nudged after the commit; the outbox sweep covers a lost
nudge). A change that
comes from outside a worker (an event, a decision, a cancel, a retry) bumps the
instance's fencing token, so a worker still holding an old lease cannot overwrite it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from workflow_platform.errors import Conflict, InvalidInput

from .. import dispatch, fanout, mailbox, starting
from ..journal import drop_open_work, lock_instance, lock_parent_of, save_one
from ..machines import machine_of_version
from ..models import OPEN, BufferedEvent, HistoryEvent, Instance, Status
from ..moves import Move, end_cancelled
from ..pending import Pending, resumed_status
from ..sagas import plan_for, start_undoing
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


def start_instances(
    *, tenant: Tenant, definition_key: str, items: list, user=None
) -> list[Instance]:
    """:func:`start_or_find_instances` for callers that need only the instances."""
    started = start_or_find_instances(
        tenant=tenant, definition_key=definition_key, items=items, user=user
    )
    return [s.instance for s in started]


MAX_BULK_START = 10_000


@transaction.atomic
def start_or_find_instances(
    *, tenant: Tenant, definition_key: str, items: list, user=None
) -> list[Started]:
    """Start many instances with a few set-based statements; answered in ``items`` order.

    Each item: ``{"data": {...}, "business_key": "", "priority": 0, "idempotency_key":
    None}`` (``starting.check_item``). All or nothing: one bad item (InvalidInput, naming
    its index) or a reused idempotency key with other data (Conflict) starts none. Items
    whose key was already used for the same request answer the existing instance with
    ``created`` false, also when that start raced this one and committed first.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("bad_items", "Give a non-empty list of items to start.")
    if len(items) > MAX_BULK_START:
        raise InvalidInput("too_many_items", f"Start at most {MAX_BULK_START:,} instances at once.")
    version = starting.published_version_of(tenant, definition_key)
    parsed = []
    for index, raw in enumerate(items):
        item = starting.check_item(index, raw)
        hash_ = starting.request_hash(
            definition_key=definition_key,
            data=item.data,
            business_key=item.business_key,
            priority=item.priority,
        )
        parsed.append((item, hash_))
    keys = [item.idempotency_key for item, _ in parsed if item.idempotency_key]
    if len(keys) != len(set(keys)):
        raise InvalidInput("duplicate_idempotency_key", "Two items share an idempotency key.")
    for tries in range(3):
        result, moves = _new_or_existing(tenant, version, parsed, keys, user)
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
    return result


def _new_or_existing(
    tenant: Tenant, version, parsed, keys, user
) -> tuple[list[Started], list[Move]]:
    """Per item, the instance its idempotency key already started, or a new start."""
    existing = {
        inst.idempotency_key: inst
        for inst in Instance.objects.for_tenant(tenant).filter(idempotency_key__in=keys)
    } if keys else {}  # fmt: skip
    now = timezone.now()
    result: list[Started] = []
    moves = []
    for item, hash_ in parsed:
        key = item.idempotency_key
        if key in existing:
            result.append(Started(starting.same_request(existing[key], key, hash_), False))
            continue
        move = starting.prepare(
            tenant=tenant,
            version=version,
            data=item.data,
            business_key=item.business_key,
            priority=item.priority,
            idempotency_key=key,
            hash_=hash_,
            user=user,
            now=now,
        )
        moves.append(move)
        result.append(Started(move.instance, True))
    return result, moves


@dataclass(frozen=True)
class SentEvent:
    """What became of an event sent: taken at once (``delivered``) or ``queued``."""

    instance: Instance
    event: BufferedEvent
    replayed: bool = False  # the idempotency key was seen before: nothing new happened


def send_event(
    *,
    tenant: Tenant,
    instance_id: int,
    event: str,
    payload: dict | None = None,
    user=None,
    idempotency_key: str = "",
) -> SentEvent:
    """Send ``event`` (with an optional JSON object ``payload``) to an instance.

    Atomic. An instance waiting in a state that accepts the event takes it now: the
    first transition on ``event`` whose guard holds is taken by a worker (its action
    runs there) and the payload is merged into the data. An instance that cannot take
    it now (moving, a transition pending, only a later state accepts it) keeps it in its
    mailbox, in order, and takes it when a state accepts it (:mod:`..mailbox`).
    The same ``idempotency_key`` again returns the first sending's outcome.

    Raises Conflict ``event_not_accepted`` (nothing stored) when the state accepts the
    event but no guard holds, or no state the instance can still reach accepts it;
    ``instance_ended``; ``idempotency_key_reused`` for a key sent with another event or
    payload; NotFound; InvalidInput.
    """
    if not isinstance(event, str) or not event.strip():
        raise InvalidInput("bad_event", "An event needs a name.")
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("bad_payload", "An event's payload must be a JSON object.")
    event, key = event.strip(), (idempotency_key or "").strip()
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        if key:
            earlier = (
                BufferedEvent.objects.for_tenant(tenant)
                .filter(instance_id=instance.pk, idempotency_key=key)
                .first()
            )
            if earlier is not None:
                if (earlier.event, earlier.payload) != (event, payload or {}):
                    raise Conflict(
                        "idempotency_key_reused",
                        f"Idempotency key '{key}' was sent with another event or payload.",
                    )
                return SentEvent(instance, earlier, replayed=True)
        now = timezone.now()
        mailbox.refuse_unreachable(instance, event)
        sent = dict(event=event, payload=payload, idempotency_key=key, user=user, now=now)
        if not mailbox.accepts_now(instance, event):
            if instance.ready:
                # A worker's claim skips rows locked as this one is now: a nudge that
                # came meanwhile found nothing, so send one once this commits.
                dispatch.nudge_steps()
            return SentEvent(instance, mailbox.enqueue(instance, **sent))
        move = accept_event(instance, event=event, payload=payload, user=user, now=now)
        save_one(move, now=now)
        dispatch.nudge_steps()
        return SentEvent(instance, mailbox.record_delivered(instance, **sent))


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
        instance.lease_owner = ""  # a worker holding it cannot commit (save_one's fence)
        instance.lease_expires_at = None
        move = Move(instance=instance)
        start_undoing(
            move,
            Pending(compensations=plan, cancelled=True),
            code="cancelled",
            message=reason[:500] or "Cancelled with compensation.",
            user=user,
            now=now,
        )
        save_one(move, now=now)
        drop_open_work(tenant, instance, now=now, user=user)
        dispatch.nudge_steps()
    return instance
