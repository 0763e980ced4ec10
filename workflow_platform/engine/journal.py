"""Writes the moves of many instances in one transaction, fenced, with set-based statements.

This is the engine's commit point (docs/adr/0006-engine-database-is-the-truth.md): an
instance's new state, data, lifecycle and history land together or not at all. A move
made under a lease carries the fencing token its worker holds; the writer locks the
rows, keeps only the moves whose token still matches (a worker that lost its lease,
an instance cancelled meanwhile: their moves are dropped, their effects were made with
a stable idempotency key and will be made again, once, by the new owner), and writes
the rest with one UPDATE for all instances and one INSERT per kind of row.

The journal writes the engine's own rows (instances, history, timers, incidents); what a
state kind writes besides (tasks, a fan-out's children, a parent's wake-up) its hooks
write, in the phases :mod:`.kinds` names, inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone

from workflow_platform.errors import NotFound
from workflow_platform.tenancy.scoping import all_tenants

from . import dispatch, fastpath, kinds, mailbox
from .models import HistoryEvent, Incident, Instance, Timer, TimerKind
from .moves import ENDED_CHILD, ENDING_CHANGES, MOVED_FIELDS, Move
from .signals import instance_changed

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

CLOSED_BY_LEAVING = (TimerKind.TRANSITION, TimerKind.STATE_TIMEOUT)


def write_moves(moves: list[Move]) -> list[Move]:
    """Commit ``moves`` in one transaction; return those that were written.

    Moves of instances whose fencing token changed since they were made are dropped.
    Must be called outside any transaction (it is the transaction).
    """
    if not moves:
        return []
    with all_tenants(), transaction.atomic():
        now = timezone.now()
        for move in moves:
            inst = move.instance
            inst.updated_at = now
            inst.lost_leases = 0  # a worker committed: whatever killed earlier ones is past
            if inst.ready and inst.ready_since is None:
                inst.ready_since = now
            elif not inst.ready:
                inst.ready_since = None
        moves = sorted(moves, key=lambda m: m.instance.pk)  # one lock order for everyone
        _lock_parents(moves)
        if connection.vendor == "postgresql":
            written = fastpath.update_fenced(moves)
        else:
            written = _update_fenced(moves)
        kept = [m for m in moves if m.instance.pk in written]
        if not kept:
            return []
        for move in kept:
            move.instance.events_queued = written[move.instance.pk]
        kinds.run_hooks("before_rows", kept, now=now)
        write_side_rows(kept, now=now)
        kinds.run_hooks("children_ended", [m for m in kept if m.instance.parent_id], now=now)
        _take_queued_events(kept, now=now)
    return kept


def _lock_parents(moves: list[Move]) -> None:
    """Lock the parents this commit will change, all at once, in id order, first.

    Locking each parent when its child's turn comes would take them in the order of
    the children's ids: two commits ending children of the same two parents could
    each hold one and wait for the other. Every writer locks a parent before its
    children (a cancel before the children it cancels, a decided join before the
    siblings it stops), so the parents are locked before this commit's own rows too.
    """
    ids = sorted(
        {
            m.instance.parent_id
            for m in moves
            if m.instance.parent_id
            and m.instance.status in ENDED_CHILD
            and ENDING_CHANGES.intersection(m.changes)
        }
    )
    if ids:
        list(
            Instance.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _update_fenced(moves: list[Move]) -> dict[int, int]:
    """Portable path: lock the rows, keep the moves whose fence matches, bulk_update;
    the ids written with their ``events_queued`` (as :func:`fastpath.update_fenced`)."""
    ids = [m.instance.pk for m in moves]
    rows = Instance.objects.filter(pk__in=ids).select_for_update()
    current = {
        pk: (fence, queued)
        for pk, fence, queued in rows.values_list("pk", "fence", "events_queued")
    }
    kept = [m for m in moves if current.get(m.instance.pk, (None,))[0] == m.fence]
    if kept:
        Instance.objects.bulk_update([m.instance for m in kept], MOVED_FIELDS)
    return {m.instance.pk: current[m.instance.pk][1] for m in kept}


def _take_queued_events(moves: list[Move], *, now) -> None:
    """Hand the instances these moves left at rest the events queued for them
    (:mod:`.mailbox`), in the same transaction; one woken is nudged to a worker."""
    follow_ups = mailbox.deliver_queued([m for m in moves if m.instance.events_queued], now=now)
    for move in follow_ups:
        inst = move.instance
        inst.fence += 1  # at rest, so unleased: no worker's commit is lost by this
        inst.updated_at = now
        inst.ready_since = now if inst.ready else None
        inst.save(update_fields=[*MOVED_FIELDS, "fence"])
        write_side_rows([move], now=now)
        if inst.ready:
            dispatch.nudge_steps()


def write_side_rows(moves: Iterable[Move], *, now) -> None:
    """History, timers and incidents of ``moves``, then the kinds' rows and follow-ups
    (inside the caller's transaction)."""
    moves = list(moves)
    events = _with_instance_ids(moves)
    if connection.vendor == "postgresql":
        fastpath.insert_history(events)
    else:
        HistoryEvent.objects.bulk_create(events)
    closing = [m.instance.pk for m in moves if m.close_timers]
    if closing:
        Timer.objects.filter(
            instance_id__in=closing,
            kind__in=CLOSED_BY_LEAVING,
            fired_at__isnull=True,
            cancelled_at__isnull=True,
        ).update(cancelled_at=now)
    timers = [t for m in moves for t in m.timers]
    for timer in timers:
        # Keys are unique per instance: the journal prefixes the id, known only now.
        timer.instance_id = timer.instance.pk
        timer.key = f"{timer.instance_id}:{timer.key}"
    if timers:
        # A timer's key is unique: scheduling the same retry or escalation twice is a no-op.
        Timer.objects.bulk_create(timers, ignore_conflicts=True)
        dispatch.wake_for_timers([t.due_at for t in timers], now=now)
    incidents = [i for m in moves for i in m.incidents]
    for incident in incidents:
        incident.instance_id = incident.instance.pk
    if incidents:
        Incident.objects.bulk_create(incidents)
    kinds.run_hooks("rows", moves, now=now)
    for move in moves:
        for change in move.changes:
            instance_changed.send(sender=Instance, instance=move.instance, change=change)
    kinds.run_hooks("after_rows", moves, now=now)


def _with_instance_ids(moves: list[Move]) -> list[HistoryEvent]:
    events = []
    for move in moves:
        for event in move.history:
            event.instance_id = move.instance.pk
            events.append(event)
    return events


def save_one(move: Move, *, now) -> None:
    """Write one move made outside a worker's lease (a service, the scheduler, a join).

    Bumps the fencing token: whoever held a lease on the instance can no longer commit.
    Inside the caller's transaction, with the instance row locked.
    """
    inst = move.instance
    inst.fence += 1
    inst.updated_at = now
    inst.ready_since = now if inst.ready else None
    inst.save(update_fields=[*MOVED_FIELDS, "fence"])
    write_side_rows([move], now=now)
    if inst.events_queued:
        _take_queued_events([move], now=now)


def lock_instance(tenant: Tenant, instance_id) -> Instance:
    """The tenant's instance ``instance_id``, row-locked (NotFound when there is none)."""
    instance = (
        Instance.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("version", "tenant")
        .filter(pk=instance_id)
        .first()
    )
    if instance is None:
        raise NotFound("instance_not_found", f"Instance {instance_id} does not exist.")
    return instance


def lock_parent_of(tenant: Tenant, instance_id) -> None:
    """Lock the parent of a child about to end here (its fan-out counts the branch).

    Parents are locked before their children by every writer (:func:`_lock_parents`),
    so a cancel of a child and a commit ending its sibling never wait for each other.
    """
    parent_id = (
        Instance.objects.for_tenant(tenant)
        .filter(pk=instance_id)
        .values_list("parent_id", flat=True)
        .first()
    )
    if parent_id:
        list(
            Instance.objects.for_tenant(tenant)
            .select_for_update()
            .filter(pk=parent_id)
            .values_list("pk", flat=True)
        )


def drop_open_work(tenant: Tenant, instance: Instance, *, now, user=None) -> None:
    """A cancelled instance's pending timers and open incidents close, and whatever its
    state kinds opened (tasks: every inbox showing one is told), in the caller's
    transaction."""
    Timer.objects.for_tenant(tenant).filter(
        instance=instance, fired_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    Incident.objects.for_tenant(tenant).filter(instance=instance, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=user
    )
    kinds.drop_all(tenant, instance, now=now, user=user)
