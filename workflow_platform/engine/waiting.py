"""The wait queue: ``wait`` states end by a completion callback, a poll, or their deadline.

Seed 002's wait queue: an async operation that is not finished must not hold a worker.
An instance that enters a ``wait`` state parks (``waiting``) and gets:

- a **wait timer** (kind ``wait``) holding the SHA-256 of a random per-wait token and
  due at the state's ``deadline`` (or never). The token reaches the outside world
  through the action of the transition that entered the state: its call's data carries
  ``wait.token`` (so an HTTP action can put ``{{ data.wait.token }}`` in a callback URL);
  only its hash is stored. :func:`complete_wait` with that token fires the state's
  ``completed`` event at once, with the payload merged into the data; the token is
  single use, and a late, repeated or forged completion changes nothing and says why.
- **poll timers** (kind ``poll``) when the state names a ``poll`` action: the action
  runs on the ``waits`` queue (not on the step workers), outside any transaction, at
  ``interval``, then ``interval * backoff``, … up to ``max_interval``. A result that is
  not ``pending`` fires ``completed`` with its output as the payload.
- the **deadline**: when the wait timer falls due first, the ``deadline`` event fires
  (an incident when the state has no ``deadline`` transition).

Poll and wait timers are handled here, not by the scheduler's sweep: the sweep nudges
``engine.waits.run_due`` on the ``waits`` queue, which claims due ones (pushing their
due time a lease ahead, so a killed poller's timer comes back) and fires each once.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workflow_platform.actions.base import ActionCall, ActionError, max_action_timeout, timeout_of
from workflow_platform.actions.registry import run_action
from workflow_platform.definitions.machine import Machine, State
from workflow_platform.errors import Conflict, InvalidInput, NotFound
from workflow_platform.tenancy.scoping import all_tenants

from . import admission, dispatch, kinds, tracing
from .journal import save_one
from .machines import machine_of_version
from .models import Instance, Status, Timer, TimerKind
from .moves import Move
from .signals import Change
from .stepping import accept_event, delta_of, map_result, open_incident

log = logging.getLogger(__name__)

WAIT_KINDS = (TimerKind.POLL, TimerKind.WAIT)
RUN_DUE = "engine.waits.run_due"
# A claimed poll stays out of other pollers' sight for as long as its poll action may run
# (its timeout, capped by WORKFLOW_MAX_ACTION_TIMEOUT) and a margin
# (WORKFLOW_POLL_LEASE_MARGIN, 30 s); if its poller dies before firing it, it falls due
# again then.


def poll_lease_margin() -> timedelta:
    return timedelta(seconds=settings.WORKFLOW_POLL_LEASE_MARGIN)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(instance_id: int, step: int) -> str:
    """``<instance>.<step>.<secret>``: the ids find the wait, the secret proves the caller.

    The secret is an HMAC of the wait under the deployment's secret key: unguessable, and
    the same on every attempt of the step that hands it out (actions run at least once,
    so a retried call and its earlier attempt must give the dependency the same token).
    """
    secret = hmac.new(
        settings.SECRET_KEY.encode(), f"wait:{instance_id}:{step}".encode(), hashlib.sha256
    ).digest()
    return f"{instance_id}.{step}.{base64.urlsafe_b64encode(secret).decode().rstrip('=')}"


def call_data(move: Move, machine: Machine, transition, data: dict) -> dict:
    """The data an action call sees: with ``wait.token`` when it enters a wait state."""
    target = machine.states.get(transition.target)
    if target is None or target.kind != "wait":
        return data
    inst = move.instance
    # The step the instance will have in the wait state is the next one.
    token = new_token(inst.pk, inst.step + 1)
    move.notes["wait_token"] = token
    return {**data, "wait": {"token": token}}


def open_wait(move: Move, machine: Machine, state: State, now) -> None:
    """Entering a wait state: its wait timer (token hash, deadline) and first poll."""
    inst = move.instance
    spec = state.wait
    token = move.notes.get("wait_token") or new_token(inst.pk or 0, inst.step)
    deadline = now + spec.deadline if spec and spec.deadline else None
    move.timers.append(
        Timer(
            tenant_id=inst.tenant_id,
            instance=inst,
            kind=TimerKind.WAIT,
            key=f"wait:{inst.step}",
            due_at=deadline or _never(),
            payload={
                "state": state.name,
                "step": inst.step,
                "token_hash": _hash(token),
                "deadline": deadline is not None,
            },
        )
    )
    if spec and spec.poll_action:
        move.timers.append(_poll_timer(inst, state.name, interval=spec.interval, now=now, n=1))


ACTIVATION = kinds.register(kinds.Activation(kind="wait", enter=open_wait))


def _never() -> datetime:
    return timezone.now().replace(year=9999, month=1, day=1)


def _poll_timer(inst: Instance, state: str, *, interval: timedelta, now, n: int) -> Timer:
    return Timer(
        tenant_id=inst.tenant_id,
        instance=inst,
        kind=TimerKind.POLL,
        key=f"poll:{inst.step}:{n}",
        due_at=now + interval,
        payload={"state": state, "step": inst.step, "n": n, "interval": interval.total_seconds()},
    )


def _applies(timer: Timer, instance: Instance | None) -> bool:
    """The instance still waits in the state (and step) the timer was made for."""
    payload = timer.payload or {}
    return (
        instance is not None
        and instance.status == Status.WAITING
        and not instance.pending
        and instance.step == payload.get("step")
        and instance.state == payload.get("state")
    )


def due_count(now) -> int:
    with all_tenants():
        return (
            Timer.objects.filter(
                kind__in=WAIT_KINDS,
                due_at__lte=now,
                fired_at__isnull=True,
                cancelled_at__isnull=True,
            )
            .exclude(instance__status=Status.SUSPENDED)
            .count()
        )


def nudge_due(now=None) -> int:
    """Called by the scheduler's sweep: wake the ``waits`` queue when polls are due."""
    count = due_count(now or timezone.now())
    if count:
        dispatch.send_now(RUN_DUE, "waits", 1)
    return count


def run_due(*, now=None, limit: int = 100) -> int:
    """Claim due poll and wait timers one at a time and fire each once; how many fired.

    One at a time: each is leased only when its turn comes, for as long as its own poll
    may take, so a long poll ahead of it never lets its lease run out.
    """
    now = now or timezone.now()
    fired = 0
    seen: list[int] = []
    for _ in range(limit):
        timer_id = _claim_next(now, seen)
        if timer_id is None:
            break
        seen.append(timer_id)
        try:
            fired += _fire(timer_id)
        except Exception:  # one broken wait must not stop the others; it returns later
            log.exception("wait timer %s failed", timer_id)
    return fired


def _claim_next(now, seen: list[int]) -> int | None:
    """Lease the next due poll or wait timer (``SKIP LOCKED``); its id, or None."""
    with all_tenants(), transaction.atomic():
        timer = (
            Timer.objects.select_for_update(skip_locked=True)
            .select_related("instance")
            .filter(
                kind__in=WAIT_KINDS,
                due_at__lte=now,
                fired_at__isnull=True,
                cancelled_at__isnull=True,
            )
            .exclude(instance__status=Status.SUSPENDED)
            .exclude(pk__in=seen)
            .order_by("due_at")
            .first()
        )
        if timer is None:
            return None
        # Out of everyone's sight for a lease; a dead poller's timer returns after it.
        lease = poll_lease(timer)
        Timer.objects.filter(pk=timer.pk).update(due_at=max(now, timezone.now()) + lease)
    return timer.pk


def poll_lease(timer: Timer) -> timedelta:
    """How long a claimed timer is held: its poll action's timeout and a margin."""
    if timer.kind != TimerKind.POLL:
        return poll_lease_margin()  # a deadline runs no action
    machine = machine_of_version(timer.instance.version_id)
    state = machine.states.get((timer.payload or {}).get("state", ""))
    poll = state.wait.poll_action if state and state.wait else None
    action = machine.actions.get(poll) if poll is not None else None
    longest = timeout_of(action) if action else max_action_timeout()
    return timedelta(seconds=longest) + poll_lease_margin()


def _fire(timer_id: int) -> int:
    with all_tenants():
        timer = Timer.objects.select_related("instance", "instance__tenant").get(pk=timer_id)
    inst = timer.instance
    if timer.kind == TimerKind.WAIT:
        return _deadline(timer_id)
    # A poll: run the poll action outside any transaction.
    if not _applies(timer, inst):
        return _close(timer_id)
    machine = machine_of_version(inst.version_id)
    state = machine.states[timer.payload["state"]]
    spec = state.wait
    if spec is None or spec.poll_action is None:
        # Its version no longer polls in this state (a migration kept its name): an error
        # like an unknown state's, logged by run_due; the timer comes back after its lease.
        raise LookupError(f"state '{state.name}' of instance {inst.pk} has no poll action")
    action = machine.actions[spec.poll_action]
    n = timer.payload.get("n", 1)
    call = ActionCall(
        tenant_id=inst.tenant_id,
        instance_id=inst.pk,
        step=inst.step,
        idempotency_key=f"wi-{inst.pk}-{inst.step}-poll",
        action=action,
        data=copy.deepcopy(inst.data),
        attempt=n,
        allow_private_network=inst.tenant.allow_private_network,
    )
    gate = admission.ask(machine, action.dependency, inst.tenant_id)
    if not gate.admitted:  # the dependency's limits: poll again when they allow
        with all_tenants():
            Timer.objects.filter(pk=timer_id, fired_at__isnull=True).update(
                due_at=gate.admission.retry_at or timezone.now() + timedelta(seconds=1)
            )
        return 0
    try:
        with (
            tracing.step(inst, "workflow.poll"),
            tracing.action_attempt(
                inst, action=action.name, kind=action.type, dependency=action.dependency or ""
            ),
        ):
            result = run_action(call)
        error = None
    except ActionError as failure:
        result, error = None, failure
    admission.done(gate, error=error)
    with all_tenants(), transaction.atomic():
        # Locked again, and only if it has not fired while the action ran.
        locked = Timer.objects.select_for_update().filter(pk=timer_id, fired_at__isnull=True)
        unfired = locked.first()
        if unfired is None:
            return 0
        timer = unfired
        now = timezone.now()
        timer.fired_at = now
        timer.save(update_fields=["fired_at"])
        inst = Instance.objects.select_for_update().select_related("tenant").get(pk=inst.pk)
        if not _applies(timer, inst):
            return 0
        if error is not None and not error.retryable:
            move = Move(instance=inst, changes=[Change.INCIDENT])
            open_incident(
                move, code=f"poll_failed:{error.code}"[:100], message=str(error), now=now,
                action=action.name,
            )  # fmt: skip
            save_one(move, now=now)
            return 1
        if result is not None and not result.pending:
            payload = _completion_payload(machine, action, inst.data, result)
            _end_wait(inst, event="completed", payload=payload, now=now)
            return 1
        interval = min(
            timedelta(seconds=timer.payload.get("interval", 30) * spec.backoff), spec.max_interval
        )
        next_poll = _poll_timer(inst, state.name, interval=interval, now=now, n=n + 1)
        next_poll.instance_id = inst.pk
        next_poll.key = f"{inst.pk}:{next_poll.key}"
        Timer.objects.bulk_create([next_poll], ignore_conflicts=True)
    return 1


def _completion_payload(machine: Machine, action, data: dict, result) -> dict:
    """What a finished poll adds to the data: mapped like any action's result
    (``result_to``, ``result_map``), else its output object as it is."""
    if action.result_to or action.result_map or result.data_updates:
        mapped = map_result(machine, action.name, data, result)
        return {k: v for k, v in mapped.items() if k not in data or data[k] != v}
    output = result.output
    return output if isinstance(output, dict) else {"result": output}


def _deadline(timer_id: int) -> int:
    with all_tenants(), transaction.atomic():
        timer = Timer.objects.select_for_update().filter(pk=timer_id, fired_at__isnull=True).first()
        if timer is None:
            return 0
        now = timezone.now()
        timer.fired_at = now
        timer.save(update_fields=["fired_at"])
        inst = (
            Instance.objects.select_for_update().select_related("tenant")
            .filter(pk=timer.instance_id).first()
        )  # fmt: skip
        if inst is None or not _applies(timer, inst):
            return 0
        machine = machine_of_version(inst.version_id)
        if not machine.outgoing(inst.state, "deadline"):
            move = Move(instance=inst, changes=[Change.INCIDENT])
            open_incident(
                move,
                code="wait_deadline_passed",
                message=f"Wait state '{inst.state}' passed its deadline and has no "
                "'deadline' transition.",
                now=now,
            )
            save_one(move, now=now)
            return 1
        _end_wait(inst, event="deadline", payload=None, now=now)
    return 1


def _close(timer_id: int) -> int:
    with all_tenants():
        Timer.objects.filter(pk=timer_id, fired_at__isnull=True).update(fired_at=timezone.now())
    return 0


def _end_wait(inst: Instance, *, event: str, payload: dict | None, now) -> None:
    """Inside a transaction, instance locked: fire ``event``; the wait's timers close."""
    # The completion's data is the instance's from here on: the state's guards (e.g.
    # ``data.scan.verdict == 'clean'``) must see it, and history records it as a delta.
    old = inst.data
    machine = machine_of_version(inst.version_id)
    if not any(t.asl is not None for t in machine.outgoing(inst.state, event)):
        # (An ASL transition decides the whole output from the payload itself.)
        inst.data = {**old, **(payload or {})}
    move = accept_event(inst, event=event, payload=payload, now=now)
    move.history[-1].delta = delta_of(old, inst.data)
    save_one(move, now=now)
    Timer.objects.filter(
        instance_id=inst.pk, kind__in=WAIT_KINDS, fired_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    dispatch.nudge_steps()


def complete_wait(*, token: str, payload: dict | None = None) -> Instance:
    """End a wait at once with its completion token: fires the state's ``completed`` event.

    The token is the caller's credential (it names no tenant: it was handed to the
    dependency by the step that entered the wait). Atomic; single use. Raises
    InvalidInput ``bad_payload``; NotFound ``wait_not_found`` for a token that was never
    issued (forged or mistyped: compared by hash in constant time); Conflict
    ``wait_already_ended`` when the wait was completed, passed its deadline or the
    instance moved on; Conflict ``event_not_accepted`` when no ``completed`` transition's
    guard holds for the payload. Nothing changes when it raises.
    """
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("bad_payload", "A completion's payload must be a JSON object.")
    parts = str(token or "").split(".", 2)
    # ASCII digits only: "²".isdigit() is true, but int("²") raises.
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        raise NotFound("wait_not_found", "No wait has this completion token.")
    instance_id, step = int(parts[0]), int(parts[1])
    with all_tenants(), transaction.atomic():
        timer = (
            Timer.objects.select_for_update()
            .filter(key=f"{instance_id}:wait:{step}", kind=TimerKind.WAIT)
            .first()
        )
        if timer is None or not hmac.compare_digest(
            _hash(token), str((timer.payload or {}).get("token_hash", ""))
        ):
            raise NotFound("wait_not_found", "No wait has this completion token.")
        inst = Instance.objects.select_for_update().select_related("tenant").get(pk=instance_id)
        if not timer.is_open or not _applies(timer, inst):
            raise Conflict(
                "wait_already_ended",
                f"The wait of instance {instance_id} in state '{timer.payload.get('state')}' "
                "has already ended; this completion changes nothing.",
            )
        now = timezone.now()
        _end_wait(inst, event="completed", payload=payload, now=now)
        Timer.objects.filter(pk=timer.pk).update(fired_at=now, cancelled_at=None)
    return inst
