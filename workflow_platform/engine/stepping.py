"""What one step does to one instance, computed in memory, written later by the journal.

The executor and the services describe every change as a :class:`Move`: the instance
(mutated in memory, lifecycle moved by its django-fsm methods), the history events to
append with their gapless sequence numbers, and the rows the change opens or closes
(timers, human tasks, incidents, a child instance). :mod:`.journal` writes the moves of
many instances in one transaction, fenced. Nothing here touches the database except
the task router's lookups, so the logic is testable on its own.

Seed 002's model: states are nodes, transitions are edges; from one state exactly one
transition is taken, the first (in ``Machine.outgoing`` order) whose guard is true.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from workflow_platform.definitions.machine import AUTO, Machine, State, Transition

from .models import HistoryEvent, HumanTask, Incident, Instance, Status, Timer, TimerKind


@dataclass
class Move:
    """All that one commit does to one instance."""

    instance: Instance
    fence: int | None = None  # the fencing token the writer holds; None for a new row
    history: list[HistoryEvent] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    tasks: list[tuple[HumanTask, Any]] = field(default_factory=list)  # (task, TaskSpec)
    incidents: list[Incident] = field(default_factory=list)
    close_timers: bool = False  # the state was left: its open timers no longer apply
    close_tasks: str = ""  # a human state left: its open tasks are cancelled
    child: dict[str, Any] | None = None  # {"definition_key", "data"}: start a child
    changes: list[str] = field(default_factory=list)  # instance_changed signals to send

    def record(self, type_: str, *, now: datetime, **fields: Any) -> HistoryEvent:
        """Append a history event describing the instance *after* the change."""
        inst = self.instance
        inst.seq += 1
        event = HistoryEvent(
            tenant_id=inst.tenant_id,
            instance_id=inst.pk,
            seq=inst.seq,
            type=type_,
            to_state=inst.state,
            status=inst.status,
            step=inst.step,
            created_at=now,
            **fields,
        )
        self.history.append(event)
        return event

    def snapshot(self) -> list[tuple[Any, dict]]:
        """What this move is now, for :meth:`restore` if its commit fails.

        The journal writes into a move as it commits it (row ids, timer keys, a
        fan-out's first children in the instance's ``pending``, the join of an empty
        fan-out); a transaction that rolls back keeps none of that in the database, so
        a second try must not start from it either. Cheap: shallow copies of each
        object's attributes and a deep copy of ``pending`` only.
        """
        objects = [self, self.instance, *self.history, *self.timers, *self.incidents]
        objects.extend(task for task, _ in self.tasks)
        saved = [(obj, obj.__dict__.copy()) for obj in objects]
        saved[0][1].update(
            history=list(self.history),
            timers=list(self.timers),
            incidents=list(self.incidents),
            tasks=list(self.tasks),
            changes=list(self.changes),
        )
        saved[1][1]["pending"] = copy.deepcopy(self.instance.pending)
        return saved

    def restore(self, snapshot: list[tuple[Any, dict]]) -> None:
        """Put this move (and its instance and rows) back as :meth:`snapshot` saw them."""
        for obj, attributes in snapshot:
            # Never empty: the lease heartbeat may read the instance meanwhile.
            for name in obj.__dict__.keys() - attributes.keys():
                del obj.__dict__[name]
            obj.__dict__.update(attributes)
        self.instance.pending = copy.deepcopy(self.instance.pending)  # the snapshot's stays clean


class GuardError(Exception):
    """A guard could not be evaluated (bad expression or missing data)."""


def evaluate_guard(transition: Transition, names: dict[str, Any]) -> bool:
    if not transition.when:
        return True
    from workflow_platform.definitions.conditions import evaluate_condition

    try:
        return bool(evaluate_condition(transition.when, names))
    except Exception as error:
        raise GuardError(
            f"Guard '{transition.when}' of transition {transition.source} → "
            f"{transition.target} failed: {error}"
        ) from error


def choose_transition(
    machine: Machine, state: str, on: str, names: dict[str, Any]
) -> Transition | None:
    """The first transition out of ``state`` on trigger ``on`` whose guard holds."""
    for transition in machine.outgoing(state, on):
        if evaluate_guard(transition, names):
            return transition
    return None


def delta_of(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """Top-level difference ``{"set": {...}, "unset": [...]}``; None when equal."""
    changed = {k: v for k, v in new.items() if k not in old or old[k] != v}
    removed = [k for k in old if k not in new]
    if not changed and not removed:
        return None
    delta: dict[str, Any] = {}
    if changed:
        delta["set"] = changed
    if removed:
        delta["unset"] = removed
    return delta


def apply_delta(data: dict[str, Any], delta: dict[str, Any] | None) -> dict[str, Any]:
    if not delta:
        return data
    data = dict(data)
    for key in delta.get("unset", ()):
        data.pop(key, None)
    data.update(delta.get("set", {}))
    return data


def _lookup(value: Any, path: str) -> Any:
    for part in path.split(".") if path else ():
        if isinstance(value, dict):
            value = value.get(part)
        elif (
            isinstance(value, list) and part.isascii() and part.isdigit() and int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return None
    return value


def _assign(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = {}
        target[part] = nested = dict(nested)
        target = nested
    target[parts[-1]] = value


def map_result(machine: Machine, action_name: str | None, data: dict, result: Any) -> dict:
    """New data after an action: its ``data_updates``, ``result_to`` and ``result_map``."""
    if action_name is None or result is None:
        return data
    action = machine.actions[action_name]
    data = dict(data)
    updates = getattr(result, "data_updates", None)
    output = getattr(result, "output", result)
    if updates:
        data.update(updates)
    if action.result_to:
        _assign(data, action.result_to, output)
    for key, path in action.result_map.items():
        _assign(data, key, _lookup(output, path))
    return data


def retry_delay(machine: Machine, action_name: str, next_attempt: int) -> timedelta:
    """Exponential backoff with jitter before ``next_attempt``."""
    policy = machine.actions[action_name].retry
    base = policy.delay_before(next_attempt).total_seconds()
    spread = base * policy.jitter
    return timedelta(seconds=max(0.0, base + random.uniform(-spread, spread)))  # noqa: S311


def _release(inst: Instance) -> None:
    inst.ready = False
    inst.lease_owner = ""
    inst.lease_expires_at = None


def take_transition(
    move: Move,
    machine: Machine,
    transition: Transition,
    *,
    now: datetime,
    result: Any = None,
    event: str = "",
    payload: dict | None = None,
    detail: dict | None = None,
) -> None:
    """Commit-ready: move the instance along ``transition`` and enter its target."""
    inst = move.instance
    old = inst.data
    new = map_result(machine, transition.action, old, result)
    if payload:
        new = {**new, **payload}
    problem = timer_problem(machine, machine.states[transition.target], new, now)
    if problem:
        # The step fails before it is taken: a retry takes it again (same key).
        code, action = "timer_not_scheduled", transition.action or ""
        open_incident(move, code=code, message=problem, action=action, now=now)
        return
    left = machine.states.get(inst.state)
    inst.data = new
    inst.state = transition.target
    inst.step += 1
    inst.attempt = 1
    inst.pending = None
    inst.last_error = ""
    move.close_timers = move.close_timers or bool(
        left and (left.timeout or machine.outgoing(left.name, "timer"))
    )
    if left and left.kind == "human":
        move.close_tasks = left.name
    if inst.status != Status.RUNNING:
        inst.run()
    enter_state(move, machine, machine.states[transition.target], now=now)
    move.record(
        HistoryEvent.Type.TRANSITIONED,
        now=now,
        from_state=transition.source,
        event=event or transition.on,
        action=transition.action or "",
        attempt=1,
        delta=delta_of(old, new),
        detail=detail,
    )
    move.changes.append("transitioned")


def enter_state(move: Move, machine: Machine, state: State, *, now: datetime) -> None:
    """Lifecycle and side rows of entering ``state`` (tasks, timers, the end)."""
    inst = move.instance
    if state.kind == "final":
        inst.complete()
        inst.ended_at = now
        _release(inst)
        move.changes.append("completed")
        return
    if state.kind == "failed":
        inst.fail()
        inst.ended_at = now
        _release(inst)
        move.changes.append("failed")
        return
    _schedule_state_timers(move, machine, state, now=now)
    if state.kind == "human" and state.task is not None:
        move.tasks.append((_new_task(inst, machine, state, now=now), state.task))
    if state.kind == "normal" and machine.outgoing(state.name, AUTO):
        inst.ready = True  # the executor goes on, in memory
        return
    if state.kind == "wait":
        from .waiting import open_wait  # the wait queue: token, polls, deadline

        open_wait(move, machine, state, now=now)
    elif state.kind == "parallel" and state.parallel is not None:
        from .fanout import open_fanout  # children start in the commit (journal)

        open_fanout(move, machine, state, now=now)
    # Parked: a human decision, an event, a timer or a wait's end wakes it.
    inst.wait()
    _release(inst)
    move.changes.append("waiting")


def _new_task(inst: Instance, machine: Machine, state: State, *, now: datetime) -> HumanTask:
    spec = state.task
    from workflow_platform.definitions.conditions import render_template

    try:
        title = render_template(spec.title, {"data": inst.data})
    except Exception:  # a title is a label; a broken placeholder must not fail the step
        title = spec.title
    return HumanTask(
        tenant_id=inst.tenant_id,
        instance=inst,
        state=state.name,
        title=title[:300],
        form=spec.form,
        decisions=machine.events_of(state.name),
        priority=spec.priority or inst.priority,
        due_at=now + spec.due if spec.due else None,
        escalate_to=spec.escalate_to,
    )


def _schedule_state_timers(move: Move, machine: Machine, state: State, *, now: datetime) -> None:
    inst = move.instance
    for transition in machine.outgoing(state.name, "timer"):
        try:
            due = _timer_due(transition, inst.data, now)
        except TimerError:
            # Callers check timer_problem first (and open an incident when there is one).
            move.timer_problem = timer_problem(machine, state, inst.data, now)
            continue
        if due is None:
            continue
        move.timers.append(
            Timer(
                tenant_id=inst.tenant_id,
                instance=inst,
                kind=TimerKind.TRANSITION,
                key=f"transition:{inst.step}:{transition.index}",
                due_at=due,
                payload={"state": state.name, "step": inst.step, "transition": transition.index},
            )
        )
    if state.timeout:
        move.timers.append(
            Timer(
                tenant_id=inst.tenant_id,
                instance=inst,
                kind=TimerKind.STATE_TIMEOUT,
                key=f"state_timeout:{inst.step}",
                due_at=now + state.timeout,
                payload={"state": state.name, "step": inst.step},
            )
        )


class TimerError(Exception):
    """A timer transition's ``at`` gives no date and time for this instance's data."""


def _timer_due(transition: Transition, data: dict, now: datetime) -> datetime | None:
    if transition.after is not None:
        return now + transition.after
    if transition.at:
        from workflow_platform.definitions.conditions import evaluate_condition

        try:
            value = evaluate_condition(transition.at, {"data": data})
        except Exception as error:
            raise TimerError(f"its 'at' expression '{transition.at}' failed: {error}") from error
        try:
            due = datetime.fromisoformat(str(value))
        except ValueError:
            raise TimerError(
                f"its 'at' expression '{transition.at}' gave {value!r}, not an ISO 8601 "
                "date and time"
            ) from None
        return due if timezone.is_aware(due) else due.replace(tzinfo=UTC)
    return None


def timer_problem(machine: Machine, state: State, data: dict, now: datetime) -> str | None:
    """Why a timer transition of ``state`` cannot be scheduled for ``data``; None if all can.

    Validation checks the expression; the data decides its value. A timer that cannot be
    scheduled would leave the instance waiting for nothing, so it is an incident instead.
    """
    for transition in machine.outgoing(state.name, "timer"):
        try:
            _timer_due(transition, data, now)
        except TimerError as error:
            return (
                f"The timer transition {transition.source} → {transition.target} cannot be "
                f"scheduled: {error}."
            )
    return None


def schedule_retry(
    move: Move,
    machine: Machine,
    transition: Transition,
    error: Exception,
    *,
    now: datetime,
    spend_attempt: bool = True,
) -> None:
    """The attempt failed but may be retried: park with a durable retry timer.

    ``spend_attempt`` False: the call was paced, not failed (a 429, a dependency's
    limits, an operation still pending), so the same attempt runs again.
    """
    inst = move.instance
    failed_attempt = inst.attempt
    if spend_attempt:
        inst.attempt += 1
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None and not spend_attempt:
        # Paced (a limit's retry_at, a 429's Retry-After): as long as asked, not the
        # backoff of an attempt that was never spent.
        due = now + timedelta(seconds=float(retry_after))
    else:
        due = now + retry_delay(machine, transition.action, failed_attempt + 1)
        if retry_after:
            due = max(due, now + timedelta(seconds=float(retry_after)))
    inst.last_error = str(error)[:2000]
    if inst.status != Status.WAITING:
        inst.wait()
    _release(inst)
    move.timers.append(
        Timer(
            tenant_id=inst.tenant_id,
            instance=inst,
            kind=TimerKind.RETRY,
            key=f"retry:{inst.step + 1}:{inst.seq + 1}",
            due_at=due,
            # The timer applies only if nothing happened to the instance since.
            payload={"step": inst.step, "seq": inst.seq + 1},
        )
    )
    move.record(
        HistoryEvent.Type.ACTION_FAILED,
        now=now,
        from_state=inst.state,
        action=transition.action or "",
        attempt=failed_attempt,
        detail={
            "code": getattr(error, "code", "error"),
            "message": str(error)[:2000],
            "retry_at": due.isoformat(),
            "next_attempt": inst.attempt,  # replay derives the attempt from it
        },
    )
    move.changes.append("waiting")


def open_incident(move: Move, *, code: str, message: str, action: str = "", now: datetime) -> None:
    """The step failed for good: the instance fails with an incident an operator can retry."""
    inst = move.instance
    inst.fail()
    inst.has_incident = True
    inst.last_error = message[:2000]
    _release(inst)
    move.incidents.append(
        Incident(
            tenant_id=inst.tenant_id,
            instance=inst,
            state=inst.state,
            step=inst.step + 1,
            action=action,
            attempt=inst.attempt,
            code=code[:100],
            message=message,
        )
    )
    move.record(
        HistoryEvent.Type.INCIDENT_OPENED,
        now=now,
        from_state=inst.state,
        action=action,
        attempt=inst.attempt,
        detail={"code": code, "message": message[:2000]},
    )
    move.changes.append("incident")


def park(move: Move, *, now: datetime, reason: str) -> None:
    """No transition fits now: wait for an event (recorded, so replay sees the status)."""
    inst = move.instance
    inst.wait()
    _release(inst)
    move.record(HistoryEvent.Type.WAITING, now=now, from_state=inst.state, detail={"why": reason})
    move.changes.append("waiting")


def now() -> datetime:
    return timezone.now()
