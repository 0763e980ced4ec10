"""The scheduler's sweeps: fire due timers once, reclaim expired leases, re-send nudges.

Timers are rows with a due time (docs/adr/0006-engine-database-is-the-truth.md), so a
scheduler that was down fires what fell due as soon as it is back. A timer fires
exactly once: its row is locked (``SKIP LOCKED``: two sweepers never wait on each
other) and marked fired in the same transaction that applies its effect. A timer that
no longer applies (the instance moved on: its step, state or sequence changed) is
marked fired and does nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from workflow_platform.definitions.machine import AUTO
from workflow_platform.tenancy.scoping import all_tenants

from . import dispatch, kinds, waiting
from .clock import database_now
from .journal import save_one
from .machines import machine_of_version
from .models import HistoryEvent, Instance, Status, Timer, TimerKind
from .moves import Move
from .pending import Pending
from .signals import Change
from .stepping import open_incident, wake

SWEEP_LIMIT = 500


def sweep_due_timers(*, now=None, limit: int = SWEEP_LIMIT) -> int:
    """Fire every timer due by ``now`` (at most ``limit``); return how many woke work."""
    now = now or timezone.now()
    with all_tenants():
        due = list(
            Timer.objects.filter(due_at__lte=now, fired_at__isnull=True, cancelled_at__isnull=True)
            # Polls and wait deadlines run on the ``waits`` queue (waiting.py); a
            # suspended instance's timers wait until it is resumed.
            .exclude(kind__in=waiting.WAIT_KINDS)
            .exclude(instance__status=Status.SUSPENDED)
            .order_by("due_at")
            .values_list("pk", flat=True)[:limit]
        )
        woke = sum(1 for timer_id in due if fire_timer(timer_id))
    waiting.nudge_due(now)
    if woke:
        dispatch.nudge_steps(woke)
    return woke


def fire_timer(timer_id: int) -> bool:
    """Apply one timer's effect and mark it fired, once; True when an instance woke."""
    with all_tenants(), transaction.atomic():
        timer = (
            Timer.objects.select_for_update(skip_locked=True)
            .filter(pk=timer_id, fired_at__isnull=True, cancelled_at__isnull=True)
            .first()
        )
        if timer is None:
            return False  # fired by another sweeper, or closed
        now = timezone.now()
        timer.fired_at = now
        timer.save(update_fields=["fired_at"])
        handler = kinds.handler_of_timer(timer.kind)
        if handler is not None:  # a kind's own timer (a task's escalation): not a step
            handler(timer, now=now)
            return False
        instance = (
            Instance.objects.select_for_update()
            .select_related("tenant")
            .filter(pk=timer.instance_id)
            .first()
        )
        if instance is not None and instance.status == Status.SUSPENDED:
            transaction.set_rollback(True)  # not fired: it falls due again after resume
            return False
        if instance is None or not _applies(timer, instance):
            return False
        move = Move(instance=instance, changes=[Change.TRANSITIONED])
        if not _wake(move, timer, now=now):
            return False
        save_one(move, now=now)
        return instance.ready


def _applies(timer: Timer, instance: Instance) -> bool:
    payload = timer.payload or {}
    if instance.step != payload.get("step"):
        return False
    if timer.kind in (TimerKind.RETRY, TimerKind.POLL):
        # A saga's compensation retry waits in the ``compensating`` status (sagas.py).
        return instance.status in (
            Status.WAITING,
            Status.COMPENSATING,
        ) and instance.seq == payload.get("seq")
    if instance.state != payload.get("state"):
        return False
    if timer.kind == TimerKind.TRANSITION:
        return instance.status == Status.WAITING and not instance.pending
    # A state timeout bounds the time spent in the state, automatic steps and their
    # retries included, but loses to a transition already accepted out of it (an
    # event, a decision, a timer transition, a wait's end, a join): that one is under
    # way, and an instance takes exactly one transition from a state.
    pending = instance.pending
    if pending is not None and pending.transition is not None and pending.event not in (None, AUTO):
        return False
    return instance.status in (Status.RUNNING, Status.WAITING)


def _wake(move: Move, timer: Timer, *, now) -> bool:
    instance = move.instance
    detail = {"timer": timer.kind, "due_at": timer.due_at.isoformat()}
    pending = instance.pending  # a retry or poll takes again what it held
    if timer.kind == TimerKind.TRANSITION:
        pending = Pending(transition=timer.payload["transition"], event="timer")
    elif timer.kind == TimerKind.STATE_TIMEOUT:
        machine = machine_of_version(instance.version_id)
        timeouts = machine.outgoing(instance.state, "timeout")
        if not timeouts:
            if instance.status == Status.RUNNING:
                instance.wait()
            open_incident(
                move,
                code="state_timed_out",
                now=now,
                message=f"State '{instance.state}' timed out and has no 'timeout' transition.",
            )
            return True
        pending = Pending(transition=timeouts[0].index, event="timeout")
    instance.lease_owner = ""
    instance.lease_expires_at = None
    wake(move, pending, HistoryEvent.Type.TIMER_FIRED, now=now, detail=detail)
    return True


def sweep_expired_leases(*, now=None) -> int:
    """Free the leases of workers that died; the instances go back to the claim queue.

    A lease that expired with its owner still on it was lost (its worker died before it
    committed or gave the instance back): the instance counts it (``lost_leases``) and is
    claimed alone from then on (``leases.claim``). One that has lost
    ``WORKFLOW_MAX_LOST_LEASES`` in a row fails with a ``worker_lost`` incident instead
    of killing worker after worker. A lease given back to wait (``release(retry_in=)``)
    has no owner: its expiry only makes the instance claimable again.
    """
    now = now or database_now()  # lease times are the database's (clock.py)
    with all_tenants():
        expired = Instance.objects.filter(ready=True, lease_expires_at__lt=now)
        lost = expired.exclude(lease_owner="").update(
            lease_owner="", lease_expires_at=None, lost_leases=F("lost_leases") + 1
        )
        freed = lost + expired.update(lease_owner="", lease_expires_at=None)
        poisoned = list(
            Instance.objects.filter(
                ready=True, lost_leases__gte=settings.WORKFLOW_MAX_LOST_LEASES
            ).values_list("pk", flat=True)
        ) if lost else []  # fmt: skip
    for instance_id in poisoned:
        _fail_lost(instance_id, now=now)
    if freed > len(poisoned):
        dispatch.nudge_steps(min(freed, settings.WORKFLOW_CLAIM_BATCH * 2))
    return freed


def _fail_lost(instance_id: int, *, now) -> None:
    """The instance's step killed worker after worker: an incident, not another worker."""
    with all_tenants(), transaction.atomic():
        inst = (
            Instance.objects.select_for_update()
            .filter(pk=instance_id, ready=True, lease_owner="")
            .first()
        )
        if inst is None or inst.lost_leases < settings.WORKFLOW_MAX_LOST_LEASES:
            return  # claimed meanwhile, or it committed a step after all
        move = Move(instance=inst)
        open_incident(
            move,
            code="worker_lost",
            message=(
                f"Step {inst.step + 1} lost its worker {inst.lost_leases} times in a row "
                "(the process was killed, ran out of memory, or the action ended it); it "
                "is not tried again until an operator retries it."
            ),
            now=now,
        )
        inst.ready = False
        save_one(move, now=now)


def sweep_outbox(*, now=None, grace: float = 2.0) -> int:
    """Re-nudge instances that have been ready and unclaimed for ``grace`` seconds.

    The ``ready`` flag was committed with the change; a nudge lost with a broker restart
    or a crash right after the commit is sent again here.
    """
    now = now or timezone.now()
    stale = Q(ready=True, ready_since__lt=now - timedelta(seconds=grace)) & (
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    )
    with all_tenants():
        new = Instance.objects.filter(stale, status=Status.CREATED).count()
        inflight = Instance.objects.filter(stale).exclude(status=Status.CREATED).count()
    # A few messages wake idle workers; busy ones keep claiming on their own, so a long
    # backlog must not pile up thousands of nudges in the broker.
    cap = settings.WORKFLOW_CLAIM_BATCH * 2
    if new:
        dispatch.nudge_starts(min(new, cap))
    if inflight:
        dispatch.nudge_steps(min(inflight, cap))
    return new + inflight
