"""Catching a failed action: transitions ``on: "error"`` that name the errors they take.

An action that fails for good (not retryable, or out of attempts) normally fails the
instance (a saga, or an incident). When its state has a transition on the trigger
``error`` whose ``errors`` name the failure, that transition is taken instead, with
the failure as its result ``{"Error": name, "Cause": message}``: the ASL ``Catch``
(ADR 0016). The error's name is its code (``failed_on_purpose``, ``http_404``, or the
code a callable raised); a timeout is ``States.Timeout``. ``States.ALL`` catches
everything, ``States.TaskFailed`` everything but a timeout.
"""

from __future__ import annotations

from datetime import datetime

from workflow_platform.definitions.machine import ERROR, Machine, Transition

from .moves import Move
from .stepping import take_transition

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"


def error_name(error: Exception) -> str:
    code = str(getattr(error, "code", "") or "States.TaskFailed")
    return TIMEOUT if code == "timeout" else code


def catcher(machine: Machine, state: str, error: Exception) -> Transition | None:
    """The first transition out of ``state`` on ``error`` that catches ``error``."""
    name = error_name(error)
    for transition in machine.outgoing(state, ERROR):
        for caught in transition.errors:
            if caught in (ALL, name) or (caught == TASK_FAILED and name != TIMEOUT):
                return transition
    return None


def take_catch(
    move: Move, machine: Machine, transition: Transition, error: Exception, *, now: datetime
) -> None:
    """Leave along ``transition`` with the failure as its result (same commit as ever)."""
    failure = {"Error": error_name(error), "Cause": str(error)}
    take_transition(
        move,
        machine,
        transition,
        now=now,
        result=failure,
        event=ERROR,
        detail={"caught": failure},
    )
