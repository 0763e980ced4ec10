"""Subworkflow steps: an action that answers with a child starts it and waits for its end.

The child starts in the commit that parks its parent (``before_rows``, so the parent's
history event can name the child); the commit that ends the child wakes the parent with
the child's data or its failure (``children_ended``), the parent locked first by the
journal. Fan-out children (:mod:`.fanout`) are counted by their own hook.
"""

from __future__ import annotations

from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.scoping import all_tenants

from . import dispatch, kinds
from .journal import save_one
from .models import HistoryEvent, Instance, Status
from .moves import Move, release
from .pending import Pending
from .signals import Change
from .starting import prepare, published_version_of, write_new
from .stepping import open_incident, wake


def await_child(move: Move, transition, event, pending: Pending, result, *, now) -> None:
    """A subworkflow action: start the child in this commit; wait until it ends."""
    inst = move.instance
    inst.pending = pending.replace(transition=transition.index, event=event)
    try:
        with all_tenants():
            version = published_version_of(inst.tenant, result.child.definition_key)
    except PlatformError as error:
        open_incident(
            move, code="child_not_started", message=str(error), action=transition.action, now=now
        )
        return
    inst.wait()
    release(inst)
    move.child = {"version": version, "data": result.child.data}
    move.record(
        HistoryEvent.Type.CHILD_STARTED,
        now=now,
        from_state=inst.state,
        action=transition.action,
        attempt=inst.attempt,
        detail={"definition_key": result.child.definition_key},
    )
    move.changes.append(Change.WAITING)


@kinds.journal_hook("before_rows")
def start_children(moves: list[Move], now) -> None:
    """The children of this commit's subworkflow steps start with it."""
    starts = [(m, m.child) for m in moves if m.child]
    if not starts:
        return
    children = [
        prepare(
            tenant=m.instance.tenant,
            version=start["version"],
            data=start["data"],
            parent=m.instance,
            now=now,
        )
        for m, start in starts
    ]
    write_new(children)
    for (move, _), child in zip(starts, children, strict=True):
        pending = move.instance.pending
        assert pending is not None  # await_child set it when it planned the child
        move.instance.pending = pending.replace(child=child.instance.pk)
        Instance.objects.filter(pk=move.instance.pk).update(pending=move.instance.pending)
        move.history[-1].detail = {**(move.history[-1].detail or {}), "child": child.instance.pk}
    dispatch.nudge_starts(len(children))


@kinds.journal_hook("children_ended")
def wake_parents(moves: list[Move], now) -> None:
    """A child that ended hands its data (or its failure) to the waiting parent."""
    for move in moves:
        child = move.instance
        if child.parent_id is None:
            continue  # (the journal calls this hook with children only)
        if child.status not in (Status.COMPLETED, Status.FAILED) or not (
            {Change.COMPLETED, Change.FAILED, Change.INCIDENT} & set(move.changes)
        ):
            continue
        # Locked already, before this commit's rows (journal._lock_parents).
        parent = Instance.objects.select_for_update().filter(pk=child.parent_id).first()
        if parent is None or parent.status != Status.WAITING:
            continue
        pending = parent.pending
        if pending is None or pending.child != child.pk:
            continue  # not a subworkflow parent (a fan-out's), or waiting for another
        if child.status == Status.COMPLETED:
            answer = pending.replace(child_result=child.data)
        else:
            answer = pending.replace(
                child_failed=f"Child instance {child.pk} failed in state '{child.state}'."
            )
        woken = Move(instance=parent)
        wake(
            woken,
            answer,
            HistoryEvent.Type.CHILD_ENDED,
            now=now,
            detail={"child": child.pk, "status": child.status},
        )
        save_one(woken, now=now)
        dispatch.nudge_steps()
