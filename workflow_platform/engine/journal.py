"""Writes the moves of many instances in one transaction, fenced, with set-based statements.

This is the engine's commit point (docs/adr/0006-engine-database-is-the-truth.md): an
instance's new state, data, lifecycle and history land together or not at all. A move
made under a lease carries the fencing token its worker holds; the writer locks the
rows, keeps only the moves whose token still matches (a worker that lost its lease,
an instance cancelled meanwhile: their moves are dropped, their effects were made with
a stable idempotency key and will be made again, once, by the new owner), and writes
the rest with one UPDATE for all instances and one INSERT per kind of row.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from workflow_platform.tenancy.scoping import all_tenants

from . import dispatch, fanout, fastpath
from .models import (
    HistoryEvent,
    HumanTask,
    Incident,
    Instance,
    Status,
    TaskStatus,
    Timer,
    TimerKind,
)
from .routing import route_task
from .signals import human_task_changed, instance_changed
from .stepping import Move

# The projection and the lease: what a step may change on an instance row.
MOVED_FIELDS = [
    "status",
    "state",
    "data",
    "step",
    "attempt",
    "seq",
    "pending",
    "ready",
    "ready_since",
    "lease_owner",
    "lease_expires_at",
    "has_incident",
    "last_error",
    "ended_at",
    "updated_at",
]
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
        _start_children([m for m in kept if m.child], now=now)
        write_side_rows(kept, now=now)
        _wake_parents([m for m in kept if m.instance.parent_id], now=now)
    return kept


# A child's move that ends it changes its parent in the same commit (fanout.py, and
# _wake_parents for a subworkflow).
ENDING_CHANGES = fanout.ENDING_CHANGES
ENDED_CHILD = (Status.COMPLETED, Status.FAILED, Status.COMPENSATED, Status.CANCELLED)


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


def _update_fenced(moves: list[Move]) -> set[int]:
    """Portable path: lock the rows, keep the moves whose fence matches, bulk_update."""
    ids = [m.instance.pk for m in moves]
    fences = dict(
        Instance.objects.filter(pk__in=ids).select_for_update().values_list("pk", "fence")
    )
    kept = [m for m in moves if fences.get(m.instance.pk) == m.fence]
    if kept:
        Instance.objects.bulk_update([m.instance for m in kept], MOVED_FIELDS)
    return {m.instance.pk for m in kept}


def _start_children(moves: list[Move], *, now) -> None:
    """Subworkflow steps: the child starts in the commit that parks its parent."""
    if not moves:
        return
    from .starting import prepare, write_new

    children = [
        prepare(
            tenant=m.instance.tenant,
            version=m.child["version"],
            data=m.child["data"],
            parent=m.instance,
            now=now,
        )
        for m in moves
    ]
    write_new(children)
    for move, child in zip(moves, children, strict=True):
        move.instance.pending = {**move.instance.pending, "child": child.instance.pk}
        Instance.objects.filter(pk=move.instance.pk).update(pending=move.instance.pending)
        move.history[-1].detail = {**(move.history[-1].detail or {}), "child": child.instance.pk}
    dispatch.nudge_starts(len(children))


def _wake_parents(moves: list[Move], *, now) -> None:
    """A child that ended hands its data (or its failure) to the waiting parent."""
    branches = fanout.children_ended(moves, now=now)  # branches of parallel states
    for move in moves:
        if move.instance.pk in branches:
            continue
        child = move.instance
        if child.status not in (Status.COMPLETED, Status.FAILED) or not (
            {"completed", "failed", "incident"} & set(move.changes)
        ):
            continue
        # Locked already, before this commit's rows (_lock_parents).
        parent = Instance.objects.select_for_update().filter(pk=child.parent_id).first()
        if parent is None or parent.status != Status.WAITING:
            continue
        if (parent.pending or {}).get("child") != child.pk:
            continue
        if child.status == Status.COMPLETED:
            parent.pending = {**parent.pending, "child_result": child.data}
        else:
            parent.pending = {
                **parent.pending,
                "child_failed": f"Child instance {child.pk} failed in state '{child.state}'.",
            }
        parent.run()
        parent.ready = True
        parent.ready_since = now
        parent.fence += 1
        parent.updated_at = now
        woken = Move(instance=parent)
        woken.record(
            HistoryEvent.Type.CHILD_ENDED,
            now=now,
            from_state=parent.state,
            detail={"child": child.pk, "status": child.status},
        )
        parent.save(update_fields=[*MOVED_FIELDS, "fence"])
        write_side_rows([woken], now=now)
        dispatch.nudge_steps()


def write_side_rows(moves: Iterable[Move], *, now) -> None:
    """History, timers, tasks and incidents of ``moves`` (inside the caller's transaction)."""
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
    for move in moves:
        if move.close_tasks:
            _cancel_tasks(move.instance, move.close_tasks)
        for task, spec in move.tasks:
            open_task(task, spec, now=now)
        for change in move.changes:
            instance_changed.send(sender=Instance, instance=move.instance, change=change)
    # Entering a parallel state: its first children start in this commit (fanout.py).
    fanout.start_planned([m for m in moves if getattr(m, "fanout", False)], now=now)


def _cancel_tasks(instance: Instance, state: str) -> None:
    """The instance left ``state`` another way (event, timer): its open tasks close."""
    for task in HumanTask.objects.filter(
        instance_id=instance.pk, state=state, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]
    ):
        task.status = TaskStatus.CANCELLED
        task.revision += 1
        task.save(update_fields=["status", "revision"])
        human_task_changed.send(sender=HumanTask, task=task, change="cancelled")


def _with_instance_ids(moves: list[Move]) -> list[HistoryEvent]:
    events = []
    for move in moves:
        for event in move.history:
            event.instance_id = move.instance.pk
            events.append(event)
    return events


def open_task(task: HumanTask, spec, *, now) -> HumanTask:
    """Route, save and announce a new human task; schedule its escalation at ``due_at``."""
    task.instance_id = task.instance.pk
    route_task(task, spec)
    task.save()
    if task.due_at is not None and task.escalate_to:
        Timer.objects.bulk_create(
            [
                Timer(
                    tenant_id=task.tenant_id,
                    instance_id=task.instance_id,
                    kind=TimerKind.TASK_ESCALATION,
                    key=f"{task.instance_id}:escalation:{task.pk}",
                    due_at=task.due_at,
                    payload={"task": task.pk},
                )
            ],
            ignore_conflicts=True,
        )
    human_task_changed.send(sender=HumanTask, task=task, change="created")
    return task
