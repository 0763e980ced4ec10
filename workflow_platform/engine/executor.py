"""The executor: claims a batch of ready instances and carries each through its steps.

Seed 002's "dumb worker": any worker takes any step of any workflow. One Celery
message does not cost one transition: :func:`run_ready` claims a batch under a lease
(:mod:`.leases`), then goes round after round: in each round it runs the next action
of every instance in the batch *outside* any transaction, then commits all their
transitions together in one fenced transaction (:mod:`.journal`), before any of them
runs its next action. State stays in memory between rounds; an instance leaves the
batch when it parks, ends, fails or loses its lease. A worker killed at any point
leaves only committed state behind; the next claim after the lease expires resumes
from there and re-runs an interrupted action with the same idempotency key.
"""

from __future__ import annotations

import copy
import logging
import time

from django.conf import settings
from django.utils import timezone

from workflow_platform.actions.base import ActionCall, ActionError, ActionResult, ThrottledError
from workflow_platform.actions.registry import run_action
from workflow_platform.definitions.asl.processing import ProcessingError, action_input
from workflow_platform.definitions.machine import AUTO, Machine
from workflow_platform.tenancy.scoping import all_tenants

from . import admission, catching, dispatch, leases, recovery, sagas, subflows, tracing, waiting
from .journal import write_moves
from .machines import idempotency_key, machine_of_version
from .models import Instance, Status
from .moves import Move
from .pending import Pending
from .stepping import (
    GuardError,
    choose_transition,
    open_incident,
    park,
    schedule_retry,
    take_transition,
)

log = logging.getLogger(__name__)

# A worker gives its batch back after this many rounds so no instance (a loop in a
# workflow) holds a worker forever; the instances stay ready for the next claim.
MAX_ROUNDS = 200


def run_ready(
    *,
    limit: int | None = None,
    budget: float = 2.0,
    new: bool | None = None,
    ids: list[int] | None = None,
) -> int:
    """Claim and run ready instances for up to ``budget`` seconds; return transitions made.

    ``new`` None claims in-flight instances first, then new starts. A duplicate or stale
    call finds nothing to claim (or other ready work) and makes no extra transition.
    """
    limit = limit or settings.WORKFLOW_CLAIM_BATCH
    owner = leases.new_owner()
    deadline = time.monotonic() + budget
    made = 0
    while True:
        batch = leases.claim(limit=limit, owner=owner, ids=ids, new=new)
        if not batch:
            return made
        made += run_batch(batch, owner=owner)
        if ids is not None or len(batch) < limit:
            return made
        if time.monotonic() > deadline:
            # More may be waiting: hand over to another message rather than hog this one.
            dispatch.nudge_steps()
            return made


def run_batch(batch: list[Instance], *, owner: str) -> int:
    """Round after round, one step per instance per round, each round one commit.

    The batch's leases are renewed by a heartbeat thread while it works (actions may
    run far longer than a lease), not only between rounds.
    """
    with leases.Heartbeat(owner=owner) as heartbeat:
        return _run_rounds(batch, owner=owner, heartbeat=heartbeat)


def _run_rounds(batch: list[Instance], *, owner: str, heartbeat: leases.Heartbeat) -> int:
    # No action starts after this: with each action bounded by its timeout, a message's
    # run stays under the task's hard time limit (settings.CELERY_TASK_TIME_LIMIT), which
    # is then left to kill only a worker that hangs (docs/reliability.md).
    stop_starting = time.monotonic() + settings.WORKFLOW_BATCH_SECONDS
    active = batch
    made = 0
    for _ in range(MAX_ROUNDS):
        heartbeat.hold(active)
        held_back: list[Instance] = []  # hit a database error: tried again later
        late: list[Instance] = []  # not advanced this round: past the batch's time
        moves: list[Move] = []
        for inst in active:
            if made + len(moves) and time.monotonic() > stop_starting:  # some progress first
                late.append(inst)
            elif move := _advance_safely(inst, held_back):
                moves.append(move)
        heartbeat.stamp([move.instance for move in moves])
        snapshots = [move.snapshot() for move in moves]
        try:
            written = write_moves(moves)
        except Exception:
            # One bad move (data that is not JSON, a broken row) must not stall the
            # batch: write them one by one; the ones that still fail become incidents
            # (or, for a database error, are tried again later). Each starts again from
            # what it was before the failed commit, not from what that commit wrote
            # into it in memory (children that were rolled back).
            log.exception("a round's commit failed; committing its moves one by one")
            recovery.reconnect_if_broken()
            for move, snapshot in zip(moves, snapshots, strict=True):
                move.restore(snapshot)
            written = [m for move in moves for m in _write_alone(move, held_back)]
        recovery.forget([move.instance for move in written])
        if held_back:
            recovery.back_off(held_back)
        made += sum(1 for m in written for e in m.history if e.type == "transitioned")
        # Still ours and runnable; one the commit released and then woke (a queued
        # event taken, :mod:`.mailbox`) is no longer leased here: a worker claims it.
        active = [
            m.instance
            for m in written
            if m.instance.ready
            and m.instance.lease_owner == owner
            and m.instance.status in (Status.RUNNING, Status.COMPENSATING)
        ]
        if late or time.monotonic() > stop_starting:
            # Each of these holds its last commit: another message carries it on.
            active += late
            break
        if not active:
            return made
    if not active:
        return made
    leases.release(active)
    dispatch.nudge_steps(len(active))
    return made


def _advance_safely(inst: Instance, held_back: list[Instance]) -> Move | None:
    """One step of ``inst``; None when a database error holds it back for later.

    Its log lines carry the step's tenant, instance and step, and (tracing on) it is a
    ``workflow.step`` span in the instance's trace (tracing.py).
    """
    with tracing.step(inst):
        return _advance_or_incident(inst, held_back)


def _advance_or_incident(inst: Instance, held_back: list[Instance]) -> Move | None:
    failure: Exception
    try:
        return advance(inst)
    except recovery.DATABASE_ERRORS as error:
        if not recovery.persists(inst, error):
            held_back.append(inst)
            return None
        log.exception("step of instance %s kept failing in the database", inst.pk)
        failure = error
    except Exception as error:  # a bug or bad data in one instance: an incident, not a crash
        log.exception("step of instance %s failed in the engine", inst.pk)
        failure = error
    try:
        return _incident_from_committed(inst, failure)
    except recovery.DATABASE_ERRORS:
        held_back.append(inst)
        return None


def _incident_from_committed(inst: Instance, error: Exception) -> Move:
    """An incident on the last committed state of ``inst`` (its in-memory copy is suspect)."""
    with all_tenants():
        fresh = Instance.objects.select_related("tenant").filter(pk=inst.pk).first() or inst
    fresh.held_fence = inst.held_fence
    move = Move(instance=fresh, fence=inst.held_fence)
    if fresh.status == Status.CREATED:
        fresh.run()
    if fresh.status in (Status.RUNNING, Status.WAITING, Status.COMPENSATING):
        if isinstance(error, recovery.DATABASE_ERRORS):
            code = "database_error"
            why = f"The database failed this step {recovery.DATABASE_TRIES} times in a row"
        else:
            code, why = "engine_error", "The engine could not take this step"
        open_incident(
            move,
            code=code,
            now=timezone.now(),
            message=f"{why}: {type(error).__name__}: {error}"[:2000],
        )
    return move


def _write_alone(move: Move, held_back: list[Instance]) -> list[Move]:
    failure: Exception
    try:
        return write_moves([move])
    except recovery.DATABASE_ERRORS as error:
        recovery.reconnect_if_broken()
        if not recovery.persists(move.instance, error):
            held_back.append(move.instance)
            return []
        log.exception("commit of instance %s kept failing in the database", move.instance.pk)
        failure = error
    except Exception as error:
        log.exception("commit of instance %s failed", move.instance.pk)
        failure = error
    try:
        return write_moves([_incident_from_committed(move.instance, failure)])
    except recovery.DATABASE_ERRORS:
        held_back.append(move.instance)
        return []
    except Exception:
        log.exception("could not record the incident of instance %s", move.instance.pk)
        return []


def advance(inst: Instance) -> Move:
    """One step of one instance, in memory: choose, run the action, map the outcome."""
    move = Move(instance=inst, fence=inst.held_fence)
    machine = machine_of_version(inst.version_id, getattr(inst, "version_created_at", None))
    now = timezone.now()
    if sagas.is_compensating(inst):
        # A saga undoing its completed steps: one compensation per round (sagas.py).
        sagas.compensate_next(move, machine, now=now)
        return move
    pending = inst.pending or Pending()
    names = {"data": inst.data, "event": pending.payload or {}, "result": None}
    try:
        if pending.transition is not None:
            transition = machine.transitions[pending.transition]
            event = pending.event or transition.on
        else:
            chosen = choose_transition(machine, inst.state, AUTO, names)
            event = AUTO
            if chosen is None:
                park(move, now=now, reason="no automatic transition's guard holds")
                return move
            transition = chosen
    except GuardError as error:
        if inst.status == Status.CREATED:
            inst.run()
        open_incident(move, code="guard_failed", message=str(error), now=now)
        return move
    if inst.status == Status.CREATED:
        inst.run()
    result = None
    if transition.action:
        if pending.child_failed is not None:
            open_incident(
                move,
                code="child_failed",
                message=pending.child_failed,
                action=transition.action,
                now=now,
            )
            return move
        if pending.child_result is not None:
            result = ActionResult(output=pending.child_result)
        else:
            result = _run(move, machine, transition, event, pending, now=now)
            if result is None:
                return move
            if result.child is not None:
                subflows.await_child(move, transition, event, pending, result, now=now)
                return move
    take_transition(
        move,
        machine,
        transition,
        now=now,
        result=result,
        event=event,
        payload=pending.payload,
    )
    return move


def _run(move: Move, machine: Machine, transition, event, pending: Pending, *, now):
    """Run the transition's action; None when it failed (the move says what next)."""
    inst = move.instance
    action = machine.actions[transition.action]
    step = inst.step + 1
    inst.pending = pending.replace(transition=transition.index, event=event)
    gate = admission.ask(machine, action.dependency, inst.tenant_id)
    if not gate.admitted:
        _defer(move, machine, transition, gate, now=now)
        return None
    data = copy.deepcopy(inst.data)
    if transition.asl is not None:
        # ASL InputPath and Parameters: what the action works on (ADR 0016); a wait's
        # completion token is part of the state's input they read ($$.Task.Token).
        try:
            data = action_input(transition.asl, waiting.call_data(move, machine, transition, data))
        except ProcessingError as error:
            admission.done(gate)
            open_incident(move, code=error.error, message=str(error), action=action.name, now=now)
            return None
    call = ActionCall(
        tenant_id=inst.tenant_id,
        instance_id=inst.pk,
        step=step,
        idempotency_key=idempotency_key(inst.pk, step),
        action=action,
        data=data
        if transition.asl is not None
        else waiting.call_data(move, machine, transition, data),
        attempt=inst.attempt,
        allow_private_network=inst.tenant.allow_private_network,
    )
    try:
        with tracing.action_attempt(
            inst, action=action.name, kind=action.type, dependency=action.dependency or ""
        ):
            result = run_action(call)
    except ActionError as error:
        comeback = admission.done(gate, error=error)  # gives back the slot this call took
        if isinstance(error, ThrottledError):
            # A 429 is the dependency pacing us, not a failed attempt.
            schedule_retry(
                move, machine, transition, error, now=now, spend_attempt=False, retry_at=comeback
            )
        elif not action.retry.retries(
            code=error.code, retryable=error.retryable, attempt=inst.attempt
        ):
            # A transition that catches the error goes on (ASL Catch); else a saga
            # undoes the completed steps first; without any, an incident.
            caught = catching.catcher(machine, inst.state, error)
            if caught is not None:
                catching.take_catch(move, machine, caught, error, now=now)
            elif not sagas.begin(
                move, machine, code=error.code, message=str(error), action=action.name, now=now
            ):
                open_incident(
                    move, code=error.code, message=str(error), action=action.name, now=now
                )
        else:
            schedule_retry(move, machine, transition, error, now=now)
        return None
    admission.done(gate)
    if result.pending and machine.states[transition.target].kind != "wait":
        # The operation is not finished: poll again later with the same key (the wait
        # queue proper, with its slower queue and deadline, is issue 6's).
        # Polling is not a failed attempt.
        still = _StillPending(action.name)
        schedule_retry(move, machine, transition, still, now=now, spend_attempt=False)
        return None
    return result


class _StillPending(Exception):
    code = "pending"

    def __init__(self, name: str) -> None:
        super().__init__(f"Action '{name}' reported its operation still pending; polling.")


def _defer(move: Move, machine: Machine, transition, gate: admission.Gate, *, now) -> None:
    """A limit said "not now": park until ``retry_at`` without spending an attempt."""

    class _Held(Exception):
        code = gate.admission.reason or "throttled"

    held = _Held(f"Held by the dependency's limits ({gate.admission.reason}).")
    schedule_retry(
        move, machine, transition, held, now=now, spend_attempt=False,
        retry_at=gate.admission.retry_at or now,
    )  # fmt: skip
