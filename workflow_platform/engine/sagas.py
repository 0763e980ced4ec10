"""Sagas: when a step fails for good, undo the completed steps in reverse order.

Seed 001's saga: every action may name a ``compensation`` (another action). When a
step fails for good (non-retryable, or its last attempt) and the instance has completed
actions with compensations, the instance turns ``compensating`` instead of opening an
incident: the plan (the completed steps, newest first) is stored in ``pending`` and each
compensation runs as a durable step of its own, on a worker, outside any transaction,
with the idempotency key ``wi-<instance>-<step>-undo`` (the step it undoes), committed
with a history event before the next one runs. A failed compensation is retried with
the action's retry policy as a durable timer; when it fails for good the instance fails
with an incident, and an operator's retry resumes the plan where it stopped. When the
plan is done the instance is ``compensated``. Cancelling with ``compensate=True`` runs
the same plan (:func:`cancel_and_compensate`).
"""

from __future__ import annotations

import copy
from datetime import timedelta

from workflow_platform.actions.base import ActionCall, ActionError, ThrottledError
from workflow_platform.actions.registry import run_action
from workflow_platform.definitions.machine import Machine
from workflow_platform.tenancy.scoping import all_tenants

from . import admission, tracing
from .models import HistoryEvent, Instance, Status, Timer
from .moves import Move
from .pending import Pending
from .signals import Change
from .stepping import delta_of, map_result, open_incident, retry_delay


def undo_key(instance_id: int, step: int) -> str:
    """The idempotency key of the compensation of ``step``: stable across attempts."""
    return f"wi-{instance_id}-{step}-undo"


def plan_for(instance: Instance, machine: Machine) -> list[dict]:
    """The compensations of the committed, completed steps of ``instance``, newest first."""
    with all_tenants():
        done = list(_completed_steps(instance))
    plan = []
    for step, action in done:
        spec = machine.actions.get(action)
        if spec is not None and spec.compensation and spec.compensation in machine.actions:
            plan.append({"step": step, "action": action, "compensation": spec.compensation})
    return plan


def _completed_steps(instance: Instance):
    return (
        HistoryEvent.objects.filter(
            instance_id=instance.pk, type=HistoryEvent.Type.TRANSITIONED, step__lte=instance.step
        )
        .exclude(action="")
        .order_by("-seq")
        .values_list("step", "action")
    )


def is_compensating(instance: Instance) -> bool:
    pending = instance.pending
    return instance.status == Status.COMPENSATING or (
        pending is not None and pending.compensations is not None
    )


def begin(move: Move, machine: Machine, *, code: str, message: str, action: str, now) -> bool:
    """The step failed for good: start compensating; False when there is nothing to undo.

    Inside the executor's step (in memory): the move commits the new lifecycle, the
    plan and a ``compensating`` history event together.
    """
    inst = move.instance
    plan = plan_for(inst, machine)
    if not plan:
        return False
    inst.last_error = message[:2000]
    start_undoing(
        move,
        Pending(compensations=plan, failed_step=inst.step + 1),
        code=code,
        message=message,
        action=action,
        now=now,
    )
    return True


def start_undoing(
    move: Move, pending: Pending, *, code: str, message: str, now, action: str = "", user=None
) -> None:
    """In memory: the instance starts on ``pending``'s compensation plan, ready for a
    worker, with a ``compensating`` event saying why (``code``, ``message``) and what.

    For a failed step (:func:`begin`), a cancel with compensation and a fan-out undoing
    the branches that completed before a sibling failed; each caller first brings its
    instance to a status that may start compensating (resumed, running).
    """
    inst = move.instance
    plan = pending.compensations or []
    inst.start_compensating()
    inst.pending = pending
    inst.attempt = 1
    inst.ended_at = None  # not over yet, even if it had reached a failed state
    inst.ready = True
    move.record(
        HistoryEvent.Type.COMPENSATING,
        now=now,
        from_state=inst.state,
        action=action,
        user=user,
        detail={
            "code": code,
            "message": message[:2000],
            "plan": [f"{c['compensation']} (step {c['step']})" for c in plan],
        },
    )
    move.changes.append(Change.COMPENSATING)


def compensate_next(move: Move, machine: Machine, *, now) -> None:
    """Run the next compensation of the plan and describe its outcome in ``move``."""
    inst = move.instance
    if inst.status == Status.RUNNING:  # an operator retried a failed compensation
        inst.start_compensating()
    pending = inst.pending or Pending()
    plan = list(pending.compensations or [])
    if not plan:
        _finish(move, now=now)
        return
    entry = plan[0]
    action = machine.actions[entry["compensation"]]
    # The dependency's limits hold for undoing as for doing: a throttled, short-circuited
    # or full dependency parks the compensation as a durable timer; no attempt is spent.
    gate = admission.ask(machine, action.dependency, inst.tenant_id)
    if not gate.admitted:
        reason = gate.admission.reason or "throttled"
        _retry_later(
            move,
            entry,
            action,
            code=reason,
            spend_attempt=False,
            now=now,
            message=f"Held by the dependency's limits ({reason}).",
            due=gate.admission.retry_at or now,
        )
        return
    call = ActionCall(
        tenant_id=inst.tenant_id,
        instance_id=inst.pk,
        step=entry["step"],
        idempotency_key=undo_key(inst.pk, entry["step"]),
        action=action,
        data=copy.deepcopy(inst.data),
        attempt=inst.attempt,
        allow_private_network=inst.tenant.allow_private_network,
    )
    try:
        with tracing.action_attempt(
            inst, action=action.name, kind=action.type, dependency=action.dependency or ""
        ):
            result = run_action(call)
    except ActionError as error:
        comeback = admission.done(gate, error=error)
        _failed(move, machine, entry, action, error, now=now, comeback=comeback)
        return
    admission.done(gate)
    old = inst.data
    inst.data = map_result(machine, action.name, old, result)
    inst.pending = pending.replace(compensations=plan[1:])
    inst.attempt = 1
    move.record(
        HistoryEvent.Type.COMPENSATION_RAN,
        now=now,
        from_state=inst.state,
        action=action.name,
        attempt=call.attempt,
        delta=delta_of(old, inst.data),
        detail={"undid_step": entry["step"], "undid_action": entry["action"]},
    )
    if len(plan) == 1:
        _finish(move, now=now)


def _finish(move: Move, *, now) -> None:
    inst = move.instance
    inst.finish_compensating()
    inst.pending = None
    inst.ended_at = now
    inst.ready = False
    inst.lease_owner = ""
    inst.lease_expires_at = None
    move.record(HistoryEvent.Type.COMPENSATED, now=now, from_state=inst.state)
    move.changes.append(Change.COMPENSATED)


def _failed(
    move: Move, machine: Machine, entry, action, error: ActionError, *, now, comeback=None
) -> None:
    inst = move.instance
    retry = action.retry
    if isinstance(error, ThrottledError):
        # A 429 is the dependency pacing us: the time its limits gave this caller (else
        # its Retry-After), and no attempt spent.
        wait = timedelta(seconds=float(error.retry_after or 0)) or retry_delay(
            machine, action.name, inst.attempt + 1
        )
        if comeback is not None:
            wait = max(comeback - now, timedelta(0))
        _retry_later(
            move,
            entry,
            action,
            code=error.code,
            message=str(error),
            now=now,
            due=now + wait,
            spend_attempt=False,
        )
        return
    if retry.retries(code=error.code, retryable=error.retryable, attempt=inst.attempt):
        due = now + retry_delay(machine, action.name, inst.attempt + 1)
        _retry_later(
            move,
            entry,
            action,
            code=error.code,
            message=str(error),
            now=now,
            due=due,
            spend_attempt=True,
        )
        return
    open_incident(
        move,
        code=f"compensation_failed:{error.code}"[:100],
        message=f"Compensation '{action.name}' of step {entry['step']} failed: {error}",
        action=action.name,
        now=now,
    )


def _retry_later(move: Move, entry, action, *, code, message, due, spend_attempt, now) -> None:
    """Park the saga (still ``compensating``) until a durable retry timer at ``due``."""
    inst = move.instance
    failed_attempt = inst.attempt
    if spend_attempt:
        inst.attempt += 1
    inst.last_error = message[:2000]
    inst.ready = False
    inst.lease_owner = ""
    inst.lease_expires_at = None
    move.timers.append(
        Timer(
            tenant_id=inst.tenant_id,
            instance=inst,
            kind="retry",
            key=f"undo:{entry['step']}:{inst.seq + 1}",
            due_at=due,
            payload={"step": inst.step, "seq": inst.seq + 1},
        )
    )
    move.record(
        HistoryEvent.Type.COMPENSATION_FAILED,
        now=now,
        from_state=inst.state,
        action=action.name,
        attempt=failed_attempt,
        detail={
            "code": code,
            "message": message[:2000],
            "retry_at": due.isoformat(),
            "next_attempt": inst.attempt,
        },
    )
