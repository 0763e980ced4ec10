"""The ``human`` state kind: entering the state opens a task, leaving it closes the task.

Registered with the step layer as an activation and with the journal as hooks
(:mod:`.kinds`): the step layer never imports the task model.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from workflow_platform.definitions.conditions import render_template
from workflow_platform.definitions.form_schemas import form_validator
from workflow_platform.errors import Conflict, InvalidInput, NotFound

from . import dispatch, kinds
from .journal import lock_instance, save_one
from .models import HistoryEvent, HumanTask, TaskStatus, Timer, TimerKind
from .routing import escalation_target, route_task
from .signals import human_task_changed
from .stepping import accept_event

OPEN_TASK = (TaskStatus.OPEN, TaskStatus.CLAIMED)


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
    tasks = rows.filter(instance_id=instance_id, status__in=OPEN_TASK)
    if state is not None:
        tasks = tasks.filter(state=state)
    for task in tasks:
        task.status = TaskStatus.CANCELLED
        task.revision += 1
        task.save(update_fields=["status", "revision"])
        human_task_changed.send(sender=HumanTask, task=task, change=change)


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
    now = now or timezone.now()
    with transaction.atomic():
        task = (
            HumanTask.objects.select_for_update()
            .select_related("tenant")
            .filter(pk=task_id, status__in=OPEN_TASK)
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


@kinds.migration_check
def tasks_block_migration(instance, machine, to_state, version_number) -> list[tuple[str, str]]:
    """An open task whose decisions the new state does not accept blocks the migration."""
    tasks = HumanTask.objects.filter(instance_id=instance.pk, status__in=OPEN_TASK)
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
    HumanTask.objects.filter(instance_id=instance.pk, status__in=OPEN_TASK).update(state=to_state)


def complete_human_task(*, tenant, task_id: int, user, decision: str, data: Any) -> HumanTask:
    """Decide a human task: validate ``data`` against its form and resume the instance.

    Atomic: the task, the event the decision fires and the instance change commit
    together. Raises NotFound, Conflict ``task_already_completed`` (decided twice, or
    cancelled), InvalidInput ``bad_decision`` / ``invalid_form_data`` (with details),
    Conflict ``event_not_accepted`` when the decision's guard refuses the data.
    """
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput("invalid_form_data", "A decision's data must be a JSON object.")
    with transaction.atomic():
        task = HumanTask.objects.for_tenant(tenant).select_for_update().filter(pk=task_id).first()
        if task is None:
            raise NotFound("task_not_found", f"Task {task_id} does not exist.")
        if task.is_done:
            raise Conflict("task_already_completed", f"Task {task.pk} is already {task.status}.")
        if decision not in (task.decisions or []):
            raise InvalidInput(
                "bad_decision",
                f"'{decision}' is not a choice of this task; choose one of "
                f"{', '.join(task.decisions or []) or 'nothing'}.",
            )
        _validate_form(task.form, data)
        instance = lock_instance(tenant, task.instance_id)
        now = timezone.now()
        move = accept_event(instance, event=decision, payload=data, user=user, now=now)
        move.history[-1].type = HistoryEvent.Type.TASK_COMPLETED
        move.history[-1].detail = {"task": task.pk, "payload": data}
        save_one(move, now=now)
        task.status = TaskStatus.COMPLETED
        task.decision = decision
        task.decision_data = data
        task.completed_at = now
        task.completed_by = user
        task.revision += 1
        task.save()
        human_task_changed.send(sender=HumanTask, task=task, change="completed")
        dispatch.nudge_steps()
    return task


def _validate_form(form: dict, data: dict) -> None:
    if not form:
        return
    validator = form_validator(form)
    problems = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if problems:
        details = [
            {"path": "/".join(str(p) for p in e.path) or "(form)", "message": e.message}
            for e in problems
        ]
        raise InvalidInput(
            "invalid_form_data",
            "The form data is not valid: " + "; ".join(d["message"] for d in details[:3]),
            details=details,
        )
