"""The engine's services: start, signal, decide, cancel and retry instances.

Each is one verb on one thing, keyword-only with the tenant first, atomic, and raises
:mod:`workflow_platform.errors` exceptions a person can act on. They never run an
action themselves: they commit the change and the ``ready`` flag, and a worker runs the
rest (nudged after the commit; the outbox sweep covers a lost nudge). A change that
comes from outside a worker (an event, a decision, a cancel, a retry) bumps the
instance's fencing token, so a worker still holding an old lease cannot overwrite it.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from workflow_platform.definitions.form_schemas import form_validator
from workflow_platform.errors import Conflict, InvalidInput, NotFound

from . import dispatch, starting
from .executor import machine_of_version
from .journal import MOVED_FIELDS, write_side_rows
from .models import (
    OPEN,
    HistoryEvent,
    HumanTask,
    Incident,
    Instance,
    Status,
    TaskStatus,
    Timer,
)
from .signals import human_task_changed
from .stepping import GuardError, Move, choose_transition


def start_instance(
    *,
    tenant,
    definition_key: str,
    data: dict | None,
    idempotency_key: str | None = None,
    business_key: str = "",
    priority: int = 0,
    user=None,
) -> Instance:
    """Start an instance of the latest published version of ``definition_key``.

    Idempotent on (tenant, ``idempotency_key``): the same key with the same request
    returns the instance the first call started; with other data it raises Conflict
    ``idempotency_key_reused``. Raises NotFound when nothing is published, InvalidInput
    for data that is not a JSON object. The instance, its entry into the initial state
    and its first history event are committed together.
    """
    instance, created = starting.start_one(
        tenant=tenant,
        definition_key=definition_key,
        data=data,
        idempotency_key=idempotency_key,
        business_key=business_key or "",
        priority=int(priority or 0),
        user=user,
    )
    if created and instance.ready:
        dispatch.nudge_starts()
    return instance


@transaction.atomic
def start_instances(*, tenant, definition_key: str, items: list[dict]) -> list[Instance]:
    """Start many instances with a few set-based statements; returned in ``items`` order.

    Each item: ``{"data": {...}, "business_key": "", "priority": 0, "idempotency_key":
    None}``. All or nothing: one bad item (InvalidInput, naming its index) or a reused
    idempotency key with other data (Conflict) starts none. Items whose key was already
    used for the same request return the existing instance, also when that start raced
    this one and committed first.
    """
    if not isinstance(items, list) or not items:
        raise InvalidInput("bad_items", "Give a non-empty list of items to start.")
    if len(items) > 10_000:
        raise InvalidInput("too_many_items", "Start at most 10,000 instances at once.")
    version = starting.published_version_of(tenant, definition_key)
    parsed = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidInput("bad_item", f"Item {index} is not an object.")
        try:
            data = starting.check_data(item.get("data"))
        except InvalidInput as error:
            raise InvalidInput("bad_item", f"Item {index}: {error.message}") from error
        business_key = str(item.get("business_key") or "")
        priority = int(item.get("priority") or 0)
        key = str(item.get("idempotency_key") or "").strip()[:200]
        hash_ = starting.request_hash(
            definition_key=definition_key, data=data, business_key=business_key, priority=priority
        )
        parsed.append((data, business_key, priority, key, hash_))
    keys = [p[3] for p in parsed if p[3]]
    if len(keys) != len(set(keys)):
        raise InvalidInput("duplicate_idempotency_key", "Two items share an idempotency key.")
    for tries in range(3):
        result, moves = _new_or_existing(tenant, version, parsed, keys)
        try:
            with transaction.atomic():  # a savepoint: a lost race must not break the rest
                starting.write_new(moves)
            break
        except IntegrityError as error:
            # A concurrent start with one of these keys committed first (after the lookup
            # above): look again, and answer for that key as if we had come second.
            if not keys:
                raise
            if tries == 2:
                raise Conflict(
                    "idempotency_key_in_use",
                    "Other starts with these idempotency keys keep committing first; "
                    "send the request again.",
                ) from error
    ready = sum(1 for m in moves if m.instance.ready)
    if ready:
        dispatch.nudge_starts(ready)
    return [r.instance if isinstance(r, Move) else r for r in result]


def _new_or_existing(tenant, version, parsed, keys) -> tuple[list[Instance | Move], list[Move]]:
    """Per item, the instance its idempotency key already started, or a new start's move."""
    existing = {
        inst.idempotency_key: inst
        for inst in Instance.objects.for_tenant(tenant).filter(idempotency_key__in=keys)
    }
    now = timezone.now()
    result: list[Instance | Move] = []
    moves = []
    for data, business_key, priority, key, hash_ in parsed:
        if key in existing:
            if existing[key].request_hash != hash_:
                raise Conflict(
                    "idempotency_key_reused",
                    f"Idempotency key '{key}' was already used with other data.",
                )
            result.append(existing[key])
            continue
        move = starting.prepare(
            tenant=tenant,
            version=version,
            data=data,
            business_key=business_key,
            priority=priority,
            idempotency_key=key,
            hash_=hash_,
            now=now,
        )
        moves.append(move)
        result.append(move)
    return result, moves


def _locked(tenant, instance_id) -> Instance:
    instance = (
        Instance.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("version", "tenant")
        .filter(pk=instance_id)
        .first()
    )
    if instance is None:
        raise NotFound("instance_not_found", f"Instance {instance_id} does not exist.")
    return instance


def _lock_parent_of(tenant, instance_id) -> None:
    """Lock the parent of a child about to end here (its fan-out counts the branch).

    Parents are locked before their children by every writer (journal._lock_parents),
    so a cancel of a child and a commit ending its sibling never wait for each other.
    """
    parent_id = (
        Instance.objects.for_tenant(tenant)
        .filter(pk=instance_id)
        .values_list("parent_id", flat=True)
        .first()
    )
    if parent_id:
        list(
            Instance.objects.for_tenant(tenant)
            .select_for_update()
            .filter(pk=parent_id)
            .values_list("pk", flat=True)
        )


def _save(move: Move, *, now) -> None:
    inst = move.instance
    inst.fence += 1  # whoever held a lease on it can no longer commit
    inst.updated_at = now
    inst.ready_since = now if inst.ready else None
    inst.save(update_fields=[*MOVED_FIELDS, "fence"])
    write_side_rows([move], now=now)


def accept_event(
    instance: Instance, *, event: str, payload: dict | None, user=None, now=None
) -> Move:
    """Choose the transition ``event`` fires from the instance's state, or refuse.

    Inside the caller's transaction, with the instance row locked. The transition is
    recorded as pending and the instance made ready: a worker runs its action.
    """
    now = now or timezone.now()
    if instance.status != Status.WAITING or instance.pending:
        why = {
            Status.CREATED: "it has not started moving yet",
            Status.RUNNING: "it is moving through automatic steps",
        }.get(instance.status, f"it is {instance.status}")
        if instance.pending:
            why = "another transition is already under way"
        raise Conflict("instance_busy", f"Instance {instance.pk} cannot take '{event}' now: {why}.")
    machine = machine_of_version(instance.version_id)
    names = {"data": instance.data, "event": payload or {}, "result": None}
    try:
        transition = choose_transition(machine, instance.state, event, names)
    except GuardError as error:
        raise InvalidInput("guard_failed", str(error)) from error
    if transition is None:
        accepted = machine.events_of(instance.state)
        if event in accepted:
            why = f"no guard of '{event}' holds for this instance's data"
        else:
            why = f"state '{instance.state}' accepts {', '.join(accepted) or 'no events'}"
        raise Conflict("event_not_accepted", f"Event '{event}' was refused: {why}.")
    instance.pending = {"transition": transition.index, "event": event, "payload": payload or {}}
    instance.run()
    instance.ready = True
    move = Move(instance=instance)
    move.record(
        HistoryEvent.Type.EVENT_ACCEPTED,
        now=now,
        from_state=instance.state,
        event=event,
        user=user,
        detail={"payload": payload} if payload else None,
    )
    return move


def send_event(
    *, tenant, instance_id: int, event: str, payload: dict | None = None, user=None
) -> Instance:
    """Send ``event`` (with an optional JSON object ``payload``) to a waiting instance.

    Atomic. The first transition out of the current state on ``event`` whose guard holds
    is taken by a worker (its action runs there); the payload is merged into the data.
    Raises Conflict ``event_not_accepted`` (nothing changes) when no transition fits,
    Conflict ``instance_busy`` when the instance is not waiting, NotFound, InvalidInput.
    """
    if not isinstance(event, str) or not event.strip():
        raise InvalidInput("bad_event", "An event needs a name.")
    if payload is not None and not isinstance(payload, dict):
        raise InvalidInput("bad_payload", "An event's payload must be a JSON object.")
    with transaction.atomic():
        instance = _locked(tenant, instance_id)
        now = timezone.now()
        move = accept_event(instance, event=event.strip(), payload=payload, user=user, now=now)
        _save(move, now=now)
        dispatch.nudge_steps()
    return instance


def cancel_instance(
    *, tenant, instance_id: int, user=None, reason: str = "", compensate: bool = False
) -> Instance:
    """Cancel an instance: nothing more runs; its open tasks and timers close.

    Atomic; a worker in the middle of an action loses its lease (fence) and its commit
    is dropped. Raises NotFound, Conflict ``instance_ended`` when already over. With
    ``compensate`` the completed steps are undone first (sagas.cancel_and_compensate):
    the instance ends ``compensated``.
    """
    if compensate:
        from .sagas import cancel_and_compensate

        return cancel_and_compensate(
            tenant=tenant, instance_id=instance_id, user=user, reason=reason
        )
    with transaction.atomic():
        _lock_parent_of(tenant, instance_id)
        instance = _locked(tenant, instance_id)
        if instance.status not in (*OPEN, Status.FAILED):
            raise Conflict(
                "instance_ended", f"Instance {instance.pk} is already {instance.status}."
            )
        now = timezone.now()
        instance.cancel()
        instance.ready = False
        instance.pending = None
        instance.lease_owner = ""
        instance.lease_expires_at = None
        instance.ended_at = now
        move = Move(instance=instance, changes=["cancelled"])
        move.record(
            HistoryEvent.Type.CANCELLED,
            now=now,
            from_state=instance.state,
            user=user,
            detail={"reason": reason[:500]} if reason else None,
        )
        _save(move, now=now)
        _drop_open_work(tenant, instance, now=now, user=user)
        # Its unfinished children go with it; a parallel parent learns its branch ended.
        from . import fanout

        fanout.after_cancel(move, now=now)
    return instance


def _drop_open_work(tenant, instance: Instance, *, now, user=None) -> None:
    """A cancelled instance's pending timers, open incidents and open tasks, closed
    (in the caller's transaction); every inbox showing such a task is told."""
    Timer.objects.for_tenant(tenant).filter(
        instance=instance, fired_at__isnull=True, cancelled_at__isnull=True
    ).update(cancelled_at=now)
    Incident.objects.for_tenant(tenant).filter(instance=instance, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=user
    )
    for task in HumanTask.objects.for_tenant(tenant).filter(
        instance=instance, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]
    ):
        task.status = TaskStatus.CANCELLED
        task.revision += 1
        task.save(update_fields=["status", "revision"])
        human_task_changed.send(sender=HumanTask, task=task, change="cancelled")


def retry_incident(*, tenant, instance_id: int, user=None) -> Instance:
    """Retry the failed step of an instance with an open incident, from attempt 1.

    Atomic; the step re-runs with its same idempotency key. Raises NotFound, Conflict
    ``no_open_incident``.
    """
    with transaction.atomic():
        instance = _locked(tenant, instance_id)
        if instance.status != Status.FAILED or not instance.has_incident:
            raise Conflict(
                "no_open_incident", f"Instance {instance.pk} has no open incident to retry."
            )
        now = timezone.now()
        instance.resume_after_incident()
        instance.has_incident = False
        instance.attempt = 1
        instance.ready = True
        instance.last_error = ""
        move = Move(instance=instance, changes=["retried"])
        move.record(
            HistoryEvent.Type.INCIDENT_RETRIED, now=now, from_state=instance.state, user=user
        )
        _save(move, now=now)
        Incident.objects.for_tenant(tenant).filter(
            instance=instance, resolved_at__isnull=True
        ).update(resolved_at=now, resolved_by=user)
        dispatch.nudge_steps()
    return instance


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
        instance = _locked(tenant, task.instance_id)
        now = timezone.now()
        move = accept_event(instance, event=decision, payload=data, user=user, now=now)
        move.history[-1].type = HistoryEvent.Type.TASK_COMPLETED
        move.history[-1].detail = {"task": task.pk, "payload": data}
        _save(move, now=now)
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
