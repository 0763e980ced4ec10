"""Fan-out and fan-in: a ``parallel`` state runs branches or a map as child instances.

Entering a ``parallel`` state parks the instance (``waiting``) with its fan-out in
``pending.fanout``: the items (one per branch, or one per element of the list that
``map_over`` yields), which have started, which ended and how. In the commit that
enters the state, the first ``concurrency`` children start (child instances of the
branch's or the map's ``workflow``, with the parent set). Each time a child ends, the
commit that ends it locks the parent and records the outcome; in that same commit the
next item's child starts, so no more than ``concurrency`` children are ever unfinished
at once, counted by committed rows. The **join** decides when the state is done:

- ``all``: every child completed; ``any``: one did; ``n``: ``n`` did. Then the parent
  takes its ``joined`` transition with the children's data gathered at ``results_to``
  (a list in item or branch order; ``None`` for a child that did not complete).
- A failed child (failed or compensated) follows ``on_failure``: ``fail_fast`` fails
  the join at once; ``wait_all`` lets every child finish first; ``compensate`` fails it
  at once and undoes the others (unfinished ones are stopped with their compensations,
  completed ones compensate their steps). With ``any``/``n`` the join fails only when it
  can no longer be met. A failed join takes the ``join_failed`` transition (an
  incident when there is none). Children still unfinished when the join is decided are
  cancelled.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from workflow_platform.definitions.conditions import evaluate_condition, render_template
from workflow_platform.definitions.machine import Machine, ParallelSpec, State
from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.scoping import all_tenants

from . import dispatch, kinds, sagas
from .journal import save_one
from .machines import machine_of_version
from .models import HistoryEvent, Instance, Status, Timer
from .moves import ENDING_CHANGES, Move, end_cancelled
from .pending import Pending, resumed_status
from .sagas import plan_for
from .signals import Change
from .starting import prepare, published_version_of, write_new
from .stepping import open_incident, wake

UNFINISHED = (Status.CREATED, Status.RUNNING, Status.WAITING, Status.SUSPENDED)
FAILED_ENDS = (Status.FAILED, Status.COMPENSATED, Status.CANCELLED)
MAX_ITEMS = 10_000


class FanOutError(Exception):
    """The parallel state cannot fan out (bad ``map_over``, unknown workflow)."""


def _spec(state: State) -> ParallelSpec:
    """A parallel state's fan-out and join (validation gives every parallel state one)."""
    spec = state.parallel
    assert spec is not None, f"parallel state '{state.name}' has no 'parallel'"
    return spec


def _fan_of(parent: Instance) -> dict[str, Any]:
    """The fan-out a parallel parent holds in ``pending`` from entering the state."""
    pending = parent.pending
    assert pending is not None and pending.fanout is not None, f"{parent.pk} has no fan-out"
    return pending.fanout


def items_of(state: State, data: dict) -> list[dict]:
    """The children a parallel state starts: ``{"label", "workflow", "data"}`` each."""
    spec = _spec(state)
    if spec.map_over:
        try:
            values = evaluate_condition(spec.map_over, {"data": data})
        except Exception as error:
            raise FanOutError(f"map_over '{spec.map_over}' failed: {error}") from error
        if not isinstance(values, list):
            raise FanOutError(
                f"map_over '{spec.map_over}' gave {type(values).__name__}, not a list"
            )
        if len(values) > MAX_ITEMS:
            raise FanOutError(f"map_over gave {len(values)} items; at most {MAX_ITEMS}")
        return [
            {"label": i, "workflow": spec.workflow, "data": {spec.item_as: v, "index": i}}
            for i, v in enumerate(values)
        ]
    return [
        {
            "label": b.get("name") or str(i),
            "workflow": b.get("workflow") or spec.workflow,
            "data": _branch_data(b.get("data") or {}, data),
        }
        for i, b in enumerate(spec.branches)
    ]


def _branch_data(template: dict, data: dict) -> dict:
    """A branch's child data: its ``data`` with ``{{ data.x }}`` placeholders filled in."""

    def fill(value):
        if isinstance(value, str) and "{{" in value:
            try:
                return render_template(value, {"data": data})
            except Exception as error:
                raise FanOutError(f"branch data '{value}' could not be filled: {error}") from error
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return fill(template)


def open_fanout(move: Move, machine: Machine, state: State, now) -> None:
    """Entering a parallel state (in memory): plan the children; the journal starts them."""
    inst = move.instance
    try:
        items = items_of(state, inst.data)
    except FanOutError as error:
        move.notes["fanout_error"] = str(error)
        items = []
    inst.pending = Pending(
        fanout={
            "state": state.name,
            "items": items,
            "next": 0,
            "children": {},
            "results": {},
            "failed": [],
            "ended": 0,
        }
    )
    move.notes["fanout"] = True


ACTIVATION = kinds.register(kinds.Activation(kind="parallel", enter=open_fanout))


@kinds.journal_hook("after_rows")
def start_planned(moves: list[Move], now) -> None:
    """Inside the journal's commit: start the first children of each new fan-out."""
    moves = [m for m in moves if m.notes.get("fanout")]
    if moves:
        with all_tenants():
            _start_planned(moves, now=now)


def _start_planned(moves: list[Move], *, now) -> None:
    versions: dict[tuple[int, str], Any] = {}  # one lookup per child workflow, not per child
    for move in moves:
        move.notes["fanout"] = False  # started once, even if these side rows are written again
        parent = move.instance
        error = move.notes.get("fanout_error")
        if error:
            _decide(parent, ok=False, now=now, why=error)
            continue
        fan = _fan_of(parent)
        if not fan["items"]:
            _decide(parent, ok=True, now=now)
            continue
        try:
            _start_more(parent, fan, now=now, versions=versions)
        except FanOutError as error:  # e.g. the child workflow was retired since
            _decide(parent, ok=False, now=now, why=str(error))
            continue
        Instance.objects.filter(pk=parent.pk).update(pending=parent.pending)


def _machine(instance: Instance) -> Machine:
    return machine_of_version(instance.version_id, getattr(instance, "version_created_at", None))


def _limit(parent: Instance, fan: dict) -> int:
    spec = _spec(_machine(parent).states[fan["state"]])
    return int(spec.concurrency) if spec.concurrency else len(fan["items"])


def _start_more(parent: Instance, fan: dict, *, now, versions: dict | None = None) -> None:
    """Start the next items' children while fewer than the concurrency limit run.

    ``versions`` caches the published version of each child workflow (with its compiled
    machine) across the parents of one commit.
    """
    versions = {} if versions is None else versions
    room = _limit(parent, fan) - (len(fan["children"]) - fan["ended"])
    moves, indexes = [], []
    while room > 0 and fan["next"] < len(fan["items"]):
        index = fan["next"]
        item = fan["items"][index]
        cache_key = (parent.tenant_id, item["workflow"])
        if cache_key not in versions:
            try:
                versions[cache_key] = published_version_of(parent.tenant, item["workflow"])
            except PlatformError as error:
                raise FanOutError(str(error)) from error
        version = versions[cache_key]
        moves.append(prepare(tenant=parent.tenant, version=version, data=item["data"],
                             parent=parent, now=now))  # fmt: skip
        indexes.append(index)
        fan["next"] += 1
        room -= 1
    if moves:
        write_new(moves)
        for move, index in zip(moves, indexes, strict=True):
            fan["children"][str(move.instance.pk)] = index
        dispatch.nudge_starts(len(moves))


def after_cancel(move: Move, *, now) -> None:
    """Inside the cancel's transaction: cancel the unfinished children of the cancelled
    instance, and count it as a failed branch if it belongs to a fan-out."""
    with all_tenants():
        _after_cancel(move, now=now)


def _after_cancel(move: Move, *, now) -> None:
    for child in (
        Instance.objects.select_for_update().filter(
            parent_id=move.instance.pk, status__in=UNFINISHED
        ).order_by("pk")
    ):  # fmt: skip
        end_cancelled(child, now=now)
        gone = Move(instance=child, changes=[Change.CANCELLED])
        gone.record(
            HistoryEvent.Type.CANCELLED,
            now=now,
            from_state=child.state,
            detail={"reason": f"its parent {move.instance.pk} was cancelled"},
        )
        save_one(gone, now=now)
        Timer.objects.filter(
            instance_id=child.pk, fired_at__isnull=True, cancelled_at__isnull=True
        ).update(cancelled_at=now)
        _after_cancel(gone, now=now)
    child_moved(move, now=now)


@kinds.journal_hook("children_ended")
def count_ended_children(moves: list[Move], now) -> None:
    """The journal's hook: see :func:`children_ended`."""
    children_ended(moves, now=now)


def children_ended(moves: list[Move], *, now) -> set[int]:
    """Inside the journal's commit: record the ends of fan-out children in their parents.

    The parents are read once (already locked, first: journal._lock_parents), every
    child that ended in this commit is counted, and each parent is settled and written
    once: a commit that ends 50 siblings costs one read and one write of their parent,
    not 50 of each. Returns the ids of the children handled here (the others may be
    subworkflow children, subflows.wake_parents).
    """
    ending = [
        m for m in moves
        if m.instance.parent_id
        and m.instance.status in (Status.COMPLETED, *FAILED_ENDS)
        and ENDING_CHANGES.intersection(m.changes)
    ]  # fmt: skip
    if not ending:
        return set()
    parents = {
        p.pk: p
        for p in Instance.objects.select_for_update()
        .select_related("tenant")
        .annotate(version_created_at=F("version__created_at"))
        .filter(pk__in={m.instance.parent_id for m in ending})
        .order_by("pk")
    }
    handled: set[int] = set()
    touched: dict[int, tuple[Instance, dict[str, Any]]] = {}  # parent id -> (it, its fan-out)
    for move in ending:
        child = move.instance
        parent = parents.get(child.parent_id) if child.parent_id is not None else None
        if parent is None or parent.pending is None or parent.pending.fanout is None:
            continue
        handled.add(child.pk)
        fan = parent.pending.fanout
        index = fan["children"].get(str(child.pk))
        if index is None or str(index) in fan["results"] or index in fan["failed"]:
            continue  # not one of ours, or already counted (a redriven child)
        fan["ended"] += 1
        if child.status == Status.COMPLETED:
            fan["results"][str(index)] = child.data
        else:
            fan["failed"].append(index)
        touched[parent.pk] = (parent, fan)
    for settled, fan in touched.values():
        _settle(settled, fan, now=now)
    return handled


def child_moved(move: Move, *, now) -> bool:
    """One child's end (a cancel's transaction): see ``children_ended``."""
    return move.instance.pk in children_ended([move], now=now)


def settle_after_resume(parent: Instance, *, now) -> None:
    """A suspended parallel parent was resumed: decide what waited for it (services/repairs.py)."""
    pending = parent.pending
    if pending is not None and pending.fanout is not None and parent.status == Status.WAITING:
        with all_tenants():
            _settle(parent, pending.fanout, now=now)


def _settle(parent: Instance, fan: dict, *, now) -> None:
    if parent.status == Status.SUSPENDED:
        # Nothing moves while suspended: no join, no new children; resume settles it.
        Instance.objects.filter(pk=parent.pk).update(pending=parent.pending)
        return

    spec = _spec(_machine(parent).states[fan["state"]])
    total = len(fan["items"])
    need = {"all": total, "any": 1}.get(spec.join, spec.n or total)
    done, failed = len(fan["results"]), len(fan["failed"])
    left = total - fan["ended"]
    if done >= need:
        _decide(parent, ok=True, now=now)
    elif done + left < need and (spec.on_failure != "wait_all" or left == 0):
        _decide(parent, ok=False, now=now, why=f"{failed} of {total} branches failed")
    elif failed and spec.join == "all" and spec.on_failure in ("fail_fast", "compensate"):
        _decide(parent, ok=False, now=now, why=f"a branch failed ({spec.on_failure})")
    else:
        try:
            _start_more(parent, fan, now=now)
        except FanOutError as error:
            _decide(parent, ok=False, now=now, why=str(error))
            return
        Instance.objects.filter(pk=parent.pk).update(pending=parent.pending)


def _results(fan: dict) -> list[Any]:
    """Each child's final data in item (or branch) order; None for one that did not complete."""
    return [fan["results"].get(str(i)) for i in range(len(fan["items"]))]


def _decide(parent: Instance, *, ok: bool, now, why: str = "") -> None:
    """The join is decided: stop the unfinished children, fire ``joined``/``join_failed``."""
    machine = _machine(parent)
    fan = _fan_of(parent)
    spec = _spec(machine.states[fan["state"]])
    _stop_children(parent, fan, compensate=not ok and spec.on_failure == "compensate", now=now)
    event = "joined" if ok else "join_failed"
    payload = {spec.results_to: _results(fan)} if spec.results_to else {}
    transitions = machine.outgoing(fan["state"], event)
    move = Move(instance=parent)
    detail = {"ended": fan["ended"], "failed": len(fan["failed"]), "why": why or None}
    if transitions:
        chosen = Pending(transition=transitions[0].index, event=event, payload=payload)
        wake(move, chosen, HistoryEvent.Type.EVENT_ACCEPTED, now=now, event=event, detail=detail)
        move.changes.append(Change.TRANSITIONED)
        dispatch.nudge_steps()
    else:
        parent.pending = None
        open_incident(
            move,
            code=event,
            message=f"Parallel state '{fan['state']}' ended with '{event}' ({why or 'joined'}) "
            "and has no transition for it.",
            now=now,
        )
    save_one(move, now=now)
    if hasattr(parent, "held_fence"):
        parent.held_fence = parent.fence  # the worker that entered the state goes on with it


def _stop_children(parent: Instance, fan: dict, *, compensate: bool, now) -> None:
    ids = [int(pk) for pk in fan["children"]]
    statuses = (*UNFINISHED, Status.COMPLETED) if compensate else UNFINISHED
    for child in (
        Instance.objects.select_for_update().select_related("tenant")
        .filter(pk__in=ids, status__in=statuses).order_by("pk")
    ):  # fmt: skip
        plan = plan_for(child, machine_of_version(child.version_id)) if compensate else []
        move = Move(instance=child)
        if plan:
            if child.status == Status.SUSPENDED:
                child.resume(resumed_status(child.pending))
            if child.status in (Status.CREATED, Status.WAITING):
                child.run()
            sagas.start_undoing(
                move,
                Pending(compensations=plan, cancelled=True),
                code="join_failed",
                message="A sibling branch failed.",
                now=now,
            )
        elif child.status in UNFINISHED:
            end_cancelled(child, now=now)
            move.record(
                HistoryEvent.Type.CANCELLED,
                now=now,
                from_state=child.state,
                detail={"reason": "the parallel state's join was decided"},
            )
            move.changes.append(Change.CANCELLED)
            Timer.objects.filter(
                instance_id=child.pk, fired_at__isnull=True, cancelled_at__isnull=True
            ).update(cancelled_at=now)
        else:
            continue
        child.lease_owner = ""
        child.lease_expires_at = None
        save_one(move, now=now)
        if child.ready:
            dispatch.nudge_steps()
