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
from django.db.models import Q
from django.utils import timezone

from workflow_platform.definitions.machine import AUTO
from workflow_platform.tenancy.scoping import all_tenants

from . import dispatch, waiting
from .executor import machine_of_version
from .journal import MOVED_FIELDS, write_side_rows
from .models import HistoryEvent, HumanTask, Instance, Status, TaskStatus, Timer, TimerKind
from .routing import escalation_target
from .signals import human_task_changed
from .stepping import Move, open_incident

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
        if timer.kind == TimerKind.TASK_ESCALATION:
            escalate_task(timer.payload.get("task"), now=now)
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
        move = Move(instance=instance, changes=["transitioned"])
        if not _wake(move, timer, now=now):
            return False
        instance.fence += 1
        instance.updated_at = now
        instance.ready_since = now if instance.ready else None
        instance.save(update_fields=[*MOVED_FIELDS, "fence"])
        write_side_rows([move], now=now)
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
    pending = instance.pending or {}
    if pending.get("transition") is not None and pending.get("event", AUTO) != AUTO:
        return False
    return instance.status in (Status.RUNNING, Status.WAITING)


def _wake(move: Move, timer: Timer, *, now) -> bool:
    instance = move.instance
    detail = {"timer": timer.kind, "due_at": timer.due_at.isoformat()}
    if timer.kind == TimerKind.TRANSITION:
        instance.pending = {"transition": timer.payload["transition"], "event": "timer"}
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
        instance.pending = {"transition": timeouts[0].index, "event": "timeout"}
    if instance.status == Status.WAITING:
        instance.run()
    instance.ready = True
    instance.lease_owner = ""
    instance.lease_expires_at = None
    move.record(HistoryEvent.Type.TIMER_FIRED, now=now, from_state=instance.state, detail=detail)
    return True


def escalate_task(task_id: int | None, *, now=None) -> bool:
    """Hand an overdue task to its ``escalate_to`` group or user, once."""
    now = now or timezone.now()
    task = (
        HumanTask.objects.select_for_update()
        .select_related("tenant")
        .filter(pk=task_id, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED])
        .first()
    )
    if task is None or task.escalated_at is not None:
        return False
    group, user_id, where = escalation_target(task)
    if group is not None:
        task.group = group
    if user_id is not None or group is not None:
        task.assignee_id = user_id
        if task.status == TaskStatus.CLAIMED:
            task.status = TaskStatus.OPEN
            task.claimed_at = None
    task.escalated_at = now
    task.routing_reason = (
        f"escalated at {now:%Y-%m-%d %H:%M} UTC (due {task.due_at:%H:%M}): {where}"
    )[:1000]
    task.revision += 1
    task.save()
    human_task_changed.send(sender=HumanTask, task=task, change="escalated")
    return True


def sweep_expired_leases(*, now=None) -> int:
    """Free the leases of workers that died; the instances go back to the claim queue."""
    now = now or timezone.now()
    with all_tenants():
        freed = Instance.objects.filter(ready=True, lease_expires_at__lt=now).update(
            lease_owner="", lease_expires_at=None
        )
    if freed:
        dispatch.nudge_steps(min(freed, settings.WORKFLOW_CLAIM_BATCH * 2))
    return freed


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
