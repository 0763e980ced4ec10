"""Operator repair: retry an incident (with corrected data if need be), suspend and
resume an instance, redrive a failed one.

**Retry** runs the step that failed for good again from attempt 1, with its same
idempotency key. An operator may first correct the instance's data (the usual cause of
a step that cannot succeed: a wrong account number, a missing field): the new data is
checked like the data of a start, replaces the old in the same commit as the retry, and
the history event records who retried, the data delta (so replay rebuilds the data) and
the old and new values of every key it touched.
**Suspend** holds an instance where it is: its lifecycle turns ``suspended``, it is not
ready, and its fencing token is bumped, so a worker in the middle of its step commits
nothing (the step re-runs after the resume with the same idempotency key, so its
effect is made once). Events and decisions are refused meanwhile, and its timers that
fall due are left due (the scheduler and the wait queue skip suspended instances): they
fire when it is resumed. **Resume** puts back the status and ready flag it had.
**Redrive** restarts a failed instance from its failed step (the step after the last
committed transition) with a fresh attempt budget: the steps that succeeded are not run
again, since their transitions are committed history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from workflow_platform.definitions.bounds import bound_problems
from workflow_platform.errors import Conflict, InvalidInput

from .. import dispatch, starting
from ..fanout import settle_after_resume
from ..journal import lock_instance, save_one
from ..models import HistoryEvent, Incident, Instance, Status, Timer, TimerKind
from ..moves import Move, release
from ..pending import Pending
from ..signals import Change
from ..stepping import delta_of

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

SUSPENDABLE = (Status.CREATED, Status.RUNNING, Status.WAITING)


def retry_incident(
    *, tenant: Tenant, instance_id: int, user=None, data: dict[str, Any] | None = None
) -> Instance:
    """Retry the failed step of an instance with an open incident, from attempt 1.

    Atomic; the step re-runs with its same idempotency key and the open incidents are
    resolved by ``user``. With ``data`` (the whole new data, a JSON object) the
    instance's data is replaced first, in the same commit; the ``incident_retried``
    event carries the delta and ``detail.data`` = ``{"before": {...}, "after": {...}}``
    of the keys it changed (a key absent on one side is left out of it). Raises
    InvalidInput ``bad_data`` (not a JSON object, a number that is not finite) or a
    bounds code (``too_deep``, ``number_out_of_range``, ``nul_character``) for such
    data, NotFound, Conflict ``no_open_incident``; nothing changes when it raises.
    """
    if data is not None:
        data = _checked_data(data)
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        if instance.status != Status.FAILED or not instance.has_incident:
            raise Conflict(
                "no_open_incident", f"Instance {instance.pk} has no open incident to retry."
            )
        now = timezone.now()
        delta = detail = None
        if data is not None:
            before = instance.data or {}
            delta = delta_of(before, data)
            if delta is not None:
                touched = [*delta.get("set", {}), *delta.get("unset", [])]
                detail = {
                    "data": {
                        "before": {key: before[key] for key in touched if key in before},
                        "after": {key: data[key] for key in touched if key in data},
                    }
                }
                instance.data = data
        instance.resume_after_incident()
        instance.has_incident = False
        instance.attempt = 1
        instance.lost_leases = 0  # an operator vouches for the step: it runs as any other
        instance.ready = True
        instance.last_error = ""
        move = Move(instance=instance, changes=[Change.RETRIED])
        move.record(
            HistoryEvent.Type.INCIDENT_RETRIED,
            now=now,
            from_state=instance.state,
            user=user,
            delta=delta,
            detail=detail,
        )
        save_one(move, now=now)
        Incident.objects.for_tenant(tenant).filter(
            instance=instance, resolved_at__isnull=True
        ).update(resolved_at=now, resolved_by=user)
        dispatch.nudge_steps()
    return instance


def _checked_data(data: Any) -> dict[str, Any]:
    """``data`` within the bounds every stored JSON keeps (depth, integer range, no NUL,
    finite numbers), each refusal located, then checked as a start checks it."""
    if not isinstance(data, dict):
        raise InvalidInput("bad_data", "An instance's data must be a JSON object.")
    found = bound_problems(data)
    if found:
        path, code, message = found[0]
        where = f"data.{path}" if path else "data"
        raise InvalidInput(
            code,
            f"The corrected data cannot be stored: {where}: {message}.",
            details=[{"path": f"data.{p}" if p else "data", "code": c, "message": m}
                     for p, c, m in found],
        )  # fmt: skip
    # The bounds above already refused NaN and infinity; the start's check does the rest.
    return starting.check_data(data)


def suspend_instance(*, tenant: Tenant, instance_id: int, user=None, reason: str = "") -> Instance:
    """Suspend a created, running or waiting instance: nothing runs until it is resumed.

    Atomic; idempotent in effect (suspending a suspended instance raises Conflict
    ``instance_suspended`` and changes nothing). Raises NotFound, Conflict
    ``instance_not_suspendable`` for an instance that is ended, failed or compensating.
    """
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        if instance.status == Status.SUSPENDED:
            raise Conflict("instance_suspended", f"Instance {instance.pk} is already suspended.")
        if instance.status not in SUSPENDABLE:
            raise Conflict(
                "instance_not_suspendable",
                f"Instance {instance.pk} is {instance.status}; only created, running or "
                "waiting instances can be suspended.",
            )
        now = timezone.now()
        before = {"status": instance.status, "ready": instance.ready}
        instance.suspend()
        instance.pending = (instance.pending or Pending()).replace(suspended=before)
        release(instance)
        move = Move(instance=instance, changes=[Change.SUSPENDED])
        move.record(
            HistoryEvent.Type.SUSPENDED,
            now=now,
            from_state=instance.state,
            user=user,
            detail={"reason": reason[:500]} if reason else None,
        )
        save_one(move, now=now)
    return instance


def resume_instance(*, tenant: Tenant, instance_id: int, user=None) -> Instance:
    """Resume a suspended instance with the status and readiness it had.

    Atomic. Retry and poll timers made before the suspension still apply (they are
    re-pointed at the history event the resume adds); timers that fell due meanwhile
    fire on the next sweep. Raises NotFound, Conflict ``instance_not_suspended``.
    """
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        if instance.status != Status.SUSPENDED:
            raise Conflict(
                "instance_not_suspended",
                f"Instance {instance.pk} is {instance.status}, not suspended.",
            )
        now = timezone.now()
        pending = instance.pending or Pending()
        before = pending.suspended or {"status": Status.WAITING, "ready": False}
        old_seq = instance.seq
        instance.resume(before["status"])
        instance.pending = pending.replace(suspended=None).or_none()
        instance.ready = bool(before["ready"])
        move = Move(instance=instance, changes=[Change.RESUMED])
        move.record(HistoryEvent.Type.RESUMED, now=now, from_state=instance.state, user=user)
        save_one(move, now=now)
        # A retry timer applies only to the history position it was made at (the
        # scheduler's check); suspend and resume added two events, so move it along.
        for timer in Timer.objects.for_tenant(tenant).filter(
            instance=instance,
            kind__in=(TimerKind.RETRY, TimerKind.POLL),
            fired_at__isnull=True,
            cancelled_at__isnull=True,
        ):
            if (timer.payload or {}).get("seq") == old_seq - 1:
                timer.payload = {**timer.payload, "seq": instance.seq}
                timer.save(update_fields=["payload"])
        if instance.ready:
            dispatch.nudge_steps()
        settle_after_resume(instance, now=now)  # branches that ended while it was held
    return instance


def redrive_instance(*, tenant: Tenant, instance_id: int, user=None) -> Instance:
    """Run a failed instance again from its failed step, with a fresh attempt budget.

    Atomic. The failed step re-runs with its same idempotency key (``wi-<id>-<step>``);
    committed steps are not re-run. A saga whose compensation failed resumes its plan.
    Open incidents are resolved by this user. Raises NotFound, Conflict
    ``instance_not_failed`` (not failed, or failed by reaching a ``failed`` state:
    nothing is left to run).
    """
    with transaction.atomic():
        instance = lock_instance(tenant, instance_id)
        if instance.status != Status.FAILED or not instance.has_incident:
            raise Conflict(
                "instance_not_failed",
                f"Instance {instance.pk} has no failed step to redrive (it is "
                f"{instance.status}{'' if instance.has_incident else ', with no open incident'}).",
            )
        now = timezone.now()
        failed_step = instance.step + 1
        instance.resume_after_incident()
        instance.has_incident = False
        instance.attempt = 1
        instance.ready = True
        instance.last_error = ""
        instance.ended_at = None
        move = Move(instance=instance, changes=[Change.REDRIVEN])
        move.record(
            HistoryEvent.Type.REDRIVEN,
            now=now,
            from_state=instance.state,
            user=user,
            detail={"from_step": failed_step},
        )
        save_one(move, now=now)
        Incident.objects.for_tenant(tenant).filter(
            instance=instance, resolved_at__isnull=True
        ).update(resolved_at=now, resolved_by=user)
        dispatch.nudge_steps()
    return instance
