"""The ``human`` state kind: entering the state opens a task, leaving it closes the task.

Registered with the engine's step layer as an activation and with its journal as hooks
(``engine/kinds.py``, docs/adr/0011-state-kinds-as-activations.md): the engine never
imports the worklist. Escalation is the worklist's own timer kind.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workflow_platform.definitions.conditions import render_template
from workflow_platform.engine import kinds
from workflow_platform.engine.models import Timer, TimerKind

from .models import OPEN_STATUSES, HumanTask, TaskStatus
from .routing import escalation_target, route_task
from .signals import human_task_changed


def enter(move, machine, state, now) -> None:
    """In memory: the task this state opens (written by :func:`write_tasks`)."""
    if state.task is not None:
        move.opened.append((new_task(move.instance, machine, state, now=now), state.task))


def new_task(inst, machine, state, *, now) -> HumanTask:
    spec = state.task
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


ACTIVATION = kinds.register(kinds.Activation(kind="human", enter=enter))


@kinds.journal_hook("rows")
def write_tasks(moves, now) -> None:
    """The tasks of human states left by these moves close; the new ones open."""
    for move in moves:
        if move.left and move.left[0] == "human":
            close_tasks(move.instance.pk, state=move.left[1], change="cancelled")
        for row, spec in move.opened:
            if isinstance(row, HumanTask):
                open_task(row, spec, now=now)


@kinds.on_drop
def drop_tasks(tenant, instance, *, now, user=None) -> None:
    close_tasks(instance.pk, change="cancelled", tenant=tenant)


def close_tasks(instance_id: int, *, state: str | None = None, change: str, tenant=None) -> None:
    """Cancel the open tasks of an instance (of one state), telling every inbox.

    Without ``tenant``, inside the journal's ``all_tenants()`` scope.
    """
    rows = HumanTask.objects.for_tenant(tenant) if tenant is not None else HumanTask.objects
    tasks = rows.filter(instance_id=instance_id, status__in=OPEN_STATUSES)
    if state is not None:
        tasks = tasks.filter(state=state)
    for task in tasks:
        task.cancel(change=change)


def open_task(task: HumanTask, spec, *, now) -> HumanTask:
    """Route, save and announce a new human task; schedule its escalation at ``due_at``."""
    task.instance_id = task.instance.pk
    route_task(task, spec)
    task.save()
    if task.due_at is not None and task.escalate_to:
        Timer.objects.bulk_create(
            [
                Timer(
                    tenant_id=task.tenant_id,
                    instance_id=task.instance_id,
                    kind=TimerKind.TASK_ESCALATION,
                    key=f"{task.instance_id}:escalation:{task.pk}",
                    due_at=task.due_at,
                    payload={"task": task.pk},
                )
            ],
            ignore_conflicts=True,
        )
    human_task_changed.send(sender=HumanTask, task=task, change="created")
    return task


@kinds.timer_handler(TimerKind.TASK_ESCALATION)
def escalation_due(timer, *, now) -> None:
    escalate_task((timer.payload or {}).get("task"), now=now)


def escalate_task(task_id: int | None, *, now=None) -> bool:
    """Hand an overdue task to its ``escalate_to`` group or user, once."""
    if task_id is None:  # a timer whose payload names no task: nothing to escalate
        return False
    now = now or timezone.now()
    with transaction.atomic():
        task = (
            HumanTask.objects.select_for_update()
            .select_related("tenant")
            .filter(pk=task_id, status__in=OPEN_STATUSES)
            .first()
        )
        if task is None or task.escalated_at is not None:
            return False
        group, user_id, where = escalation_target(task)
        values: dict[str, Any] = {}
        if group is not None:
            values["group"] = group
        if user_id is not None or group is not None:
            values["assignee_id"] = user_id
            if task.status == TaskStatus.CLAIMED:
                values.update(status=TaskStatus.OPEN, claimed_at=None)
        reason = f"escalated at {now:%Y-%m-%d %H:%M} UTC (due {task.due_at:%H:%M}): {where}"
        return task.change(
            "escalated",
            guard=Q(escalated_at__isnull=True),
            escalated_at=now,
            routing_reason=reason[:1000],
            **values,
        )


@kinds.migration_check
def tasks_block_migration(instance, machine, to_state, version_number) -> list[tuple[str, str]]:
    """An open task whose decisions the new state does not accept blocks the migration."""
    tasks = HumanTask.objects.filter(instance_id=instance.pk, status__in=OPEN_STATUSES)
    accepted = set(machine.events_of(to_state))
    human = machine.states[to_state].kind == "human"
    return [
        (
            "pending_tasks",
            f"Open task {task_id} offers {', '.join(decisions or [])}, which "
            f"state '{to_state}' of version {version_number} does not accept.",
        )
        for task_id, decisions in tasks.values_list("pk", "decisions")
        if not human or not set(decisions or []) <= accepted
    ]


@kinds.on_migrated
def tasks_follow_state(instance, to_state) -> None:
    HumanTask.objects.filter(instance_id=instance.pk, status__in=OPEN_STATUSES).update(
        state=to_state
    )
