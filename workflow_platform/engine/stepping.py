"""The step layer: what one step does to one instance, computed in memory.

The executor and the services describe every change as a :class:`~.moves.Move`;
:mod:`.journal` writes the moves of many instances in one transaction, fenced. Here:
choosing and taking a transition, accepting an event, retries, state timers, incidents
and data deltas. Entering or leaving a state of another kind than ``normal``, ``final``
and ``failed`` is that kind's activation (:mod:`.kinds`), registered by its own module.
Nothing here writes to the database, so the logic is testable on its own.

Seed 002's model: states are nodes, transitions are edges; from one state exactly one
transition is taken, the first (in ``Machine.outgoing`` order) whose guard is true.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from workflow_platform.definitions.asl.choice import choice_holds
from workflow_platform.definitions.asl.processing import ProcessingError, transition_output
from workflow_platform.definitions.conditions import evaluate_condition
from workflow_platform.definitions.machine import AUTO, Machine, State, Transition
from workflow_platform.errors import Conflict, InvalidInput

from . import kinds
from .machines import machine_of_version
from .models import HistoryEvent, Incident, Instance, Status, Timer, TimerKind
from .moves import Move, release
from .pending import Pending
from .signals import Change


class GuardError(Exception):
    """A guard could not be evaluated (bad expression or missing data)."""


def evaluate_guard(transition: Transition, names: dict[str, Any]) -> bool:
    if transition.choice is not None:
        # An ASL Choice rule (data, not an expression): false on missing or mistyped
        # values, never an error.
        return choice_holds(transition.choice, names["data"])
    if not transition.when:
        return True
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
    low, high = machine.actions[action_name].retry.jitter_bounds(next_attempt)
    return timedelta(seconds=random.uniform(low, high))  # noqa: S311 - jitter, not security


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
    if transition.asl is not None:
        # ASL data processing replaces the data with the state's output (ADR 0016).
        try:
            new = transition_output(
                transition.asl,
                old,
                result,
                has_action=transition.action is not None,
                payload=payload,
            )
        except ProcessingError as error:
            code, action = error.error, transition.action or ""
            open_incident(move, code=code, message=str(error), action=action, now=now)
            return
    if payload and transition.asl is None:  # ASL processing decides the whole output
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
    if left is not None:
        move.left = (left.kind, left.name)
        leaving = kinds.activation(left.kind)
        if leaving is not None and leaving.leave is not None:
            leaving.leave(move, machine, left, now)
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
    move.changes.append(Change.TRANSITIONED)


def enter_state(move: Move, machine: Machine, state: State, *, now: datetime) -> None:
    """Lifecycle and side rows of entering ``state`` (tasks, timers, the end)."""
    inst = move.instance
    if state.kind == "final":
        inst.complete()
        inst.ended_at = now
        release(inst)
        move.changes.append(Change.COMPLETED)
        return
    if state.kind == "failed":
        inst.fail()
        inst.ended_at = now
        if state.error:
            inst.last_error = ": ".join(
                part for part in (state.error.get("code"), state.error.get("cause")) if part
            )[:2000]
        release(inst)
        move.changes.append(Change.FAILED)
        return
    schedule_state_timers(move, machine, state, now=now)
    if state.kind == "normal" and machine.outgoing(state.name, AUTO):
        inst.ready = True  # the executor goes on, in memory
        return
    entering = kinds.activation(state.kind)
    if entering is not None and entering.enter is not None:
        entering.enter(move, machine, state, now)  # a task, a wait, a fan-out's plan
    # Parked: a human decision, an event, a timer or a wait's end wakes it.
    inst.wait()
    release(inst)
    move.changes.append(Change.WAITING)


def schedule_state_timers(move: Move, machine: Machine, state: State, *, now: datetime) -> None:
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
    retry_at: datetime | None = None,
) -> None:
    """The attempt failed but may be retried: park with a durable retry timer.

    ``spend_attempt`` False: the call was paced, not failed (a 429, a dependency's
    limits, an operation still pending), so the same attempt runs again, at ``retry_at``
    when the limits gave this caller its own time (else after the error's Retry-After).
    """
    inst = move.instance
    failed_attempt = inst.attempt
    if spend_attempt:
        inst.attempt += 1
    retry_after = getattr(error, "retry_after", None)
    if retry_at is not None and not spend_attempt:
        due = max(retry_at, now)
    elif retry_after is not None and not spend_attempt:
        # Paced (a limit's retry_at, a 429's Retry-After): as long as asked, not the
        # backoff of an attempt that was never spent.
        due = now + timedelta(seconds=float(retry_after))
    else:
        # Only a transition's action is retried (the executor's ``_run`` ran it).
        assert transition.action is not None
        due = now + retry_delay(machine, transition.action, failed_attempt + 1)
        if retry_after:
            due = max(due, now + timedelta(seconds=float(retry_after)))
    inst.last_error = str(error)[:2000]
    if inst.status != Status.WAITING:
        inst.wait()
    release(inst)
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
    move.changes.append(Change.WAITING)


def open_incident(move: Move, *, code: str, message: str, action: str = "", now: datetime) -> None:
    """The step failed for good: the instance fails with an incident an operator can retry."""
    inst = move.instance
    inst.fail()
    inst.has_incident = True
    inst.last_error = message[:2000]
    release(inst)
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
    move.changes.append(Change.INCIDENT)


def park(move: Move, *, now: datetime, reason: str) -> None:
    """No transition fits now: wait for an event (recorded, so replay sees the status)."""
    inst = move.instance
    inst.wait()
    release(inst)
    move.record(HistoryEvent.Type.WAITING, now=now, from_state=inst.state, detail={"why": reason})
    move.changes.append(Change.WAITING)


def accept_event(
    instance: Instance,
    *,
    event: str,
    payload: dict | None,
    user=None,
    now=None,
    move: Move | None = None,
    detail: dict | None = None,
) -> Move:
    """Choose the transition ``event`` fires from the instance's state, or refuse.

    Inside the caller's transaction, with the instance row locked. The transition is
    recorded as pending and the instance made ready: a worker runs its action. ``move``
    is one to add to (the mailbox's), ``detail`` more for the history event.
    """
    now = now or timezone.now()
    if instance.status != Status.WAITING or instance.pending:
        why = {
            Status.CREATED: "it has not started moving yet",
            Status.RUNNING: "it is moving through automatic steps",
        }.get(instance.status, f"it is {instance.status}")
        if instance.pending:
            why = "another transition is already under way"
        raise Conflict("instance_busy", f"Instance {instance.pk} cannot take '{event}' now: {why}.")
    machine = machine_of_version(instance.version_id)
    names = {"data": instance.data, "event": payload or {}, "result": None}
    try:
        transition = choose_transition(machine, instance.state, event, names)
    except GuardError as error:
        raise InvalidInput("guard_failed", str(error)) from error
    if transition is None:
        accepted = machine.events_of(instance.state)
        if event in accepted:
            why = f"no guard of '{event}' holds for this instance's data"
        else:
            why = f"state '{instance.state}' accepts {', '.join(accepted) or 'no events'}"
        raise Conflict("event_not_accepted", f"Event '{event}' was refused: {why}.")
    move = move or Move(instance=instance)
    detail = {**(detail or {}), **({"payload": payload} if payload else {})}
    wake(
        move,
        Pending(transition=transition.index, event=event, payload=payload or {}),
        HistoryEvent.Type.EVENT_ACCEPTED,
        now=now,
        event=event,
        user=user,
        detail=detail or None,
    )
    return move


def wake(move: Move, pending: Pending | None, why: str, *, now, **fields: Any) -> HistoryEvent:
    """A parked instance has something to take (an event, a timer, a child's end, a join).

    In memory: it holds ``pending``, runs, and is ready for a worker; the history event
    ``why`` (with ``fields``) says what woke it. The caller writes the move and nudges.
    """
    inst = move.instance
    inst.pending = pending
    if inst.status == Status.WAITING:
        inst.run()
    inst.ready = True
    return move.record(why, now=now, from_state=inst.state, **fields)


def now() -> datetime:
    return timezone.now()
