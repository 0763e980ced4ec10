"""The designer's dry run: which transition a trigger would take, without running anything.

Given a document, the state a simulated instance is in, a trigger and sample data, it
evaluates the guards of that trigger's transitions in the engine's order
(``Machine.outgoing``) with the definitions' condition language and reports each
candidate with its guard's result; the first one whose guard holds fires. No action runs,
nothing is stored: the data stays what the person typed.
"""

from __future__ import annotations

import json
from typing import Any

from workflow_platform.definitions.asl.choice import choice_holds
from workflow_platform.definitions.conditions import ConditionError, is_true
from workflow_platform.definitions.machine import AUTO, TIMER, compile_machine
from workflow_platform.errors import InvalidInput


def _machine(document: dict[str, Any]):
    try:
        machine = compile_machine(document)
        for name in machine.states:
            machine.outgoing(name)  # orders of mixed types only fail when sorted
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(
            "dry_run_unreadable",
            f"The dry run needs a readable machine; fix the listed problems first ({exc}).",
        ) from exc
    return machine


def triggers_of(machine, state: str) -> list[str]:
    """Every trigger ``state`` has a transition for: auto and timer first, then events."""
    found = [t.on for t in machine.outgoing(state)]
    return [t for t in (AUTO, TIMER) if t in found] + machine.events_of(state)


def dry_run_step(
    document: dict[str, Any],
    *,
    state: str | None,
    trigger: str | None,
    data: dict[str, Any],
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate one step. With no ``trigger``, only describe the state and its triggers."""
    machine = _machine(document)
    state = state or machine.initial
    if state not in machine.states:
        raise InvalidInput("unknown_state", f"There is no state called '{state}'.")
    current = machine.state(state)
    step: dict[str, Any] = {
        "state": state,
        "kind": current.kind,
        "terminal": current.is_terminal,
        "triggers": triggers_of(machine, state),
        "trigger": trigger,
        "candidates": [],
        "fires": None,
    }
    if not trigger:
        return step
    names = {"data": data, "event": payload or {}, "result": None, "item": None}
    for transition in machine.outgoing(state, on=trigger):
        candidate: dict[str, Any] = {
            "index": transition.index,
            "to": transition.target,
            "when": transition.when or "",
            "action": transition.action or "",
            "guard": True,
            "error": "",
            "fires": False,
        }
        if transition.choice is not None:
            # An ASL Choice rule: data, never an error (definitions.asl.choice).
            candidate["when"] = json.dumps(transition.choice, separators=(",", ":"))
            candidate["guard"] = choice_holds(transition.choice, data)
        elif transition.when:
            try:
                candidate["guard"] = is_true(transition.when, names)
            except ConditionError as exc:
                candidate["guard"] = None
                candidate["error"] = str(exc)
        if candidate["guard"] is True and step["fires"] is None:
            candidate["fires"] = True
            step["fires"] = {"index": transition.index, "to": transition.target}
        step["candidates"].append(candidate)
    return step
