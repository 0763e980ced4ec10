"""What operators do to human tasks: claim, release, reassign, delegate, snooze, complete.

Every service is one verb on one task, keyword-only with the tenant first, atomic, and
*optimistic*: it changes the row only if it is still as the operator saw it (its
``revision``, when the page sent one, and the status the verb needs), bumping the
revision in the same UPDATE. Two people acting on one task: exactly one UPDATE matches,
the other gets a :class:`Conflict` that says who got there first. Each change is audited
(``TaskActivity``) and announced with ``human_task_changed`` inside the transaction
(``HumanTask.change``), which the inbox's live notifications follow.

Deciding a task (:func:`complete_human_task`, and :func:`complete_task` for an operator)
checks the decision and its data once (``forms.check_decision``) and resumes the instance
through the engine's ``accept_event`` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from workflow_platform.engine import dispatch
from workflow_platform.engine.journal import lock_instance, save_one
from workflow_platform.engine.models import HistoryEvent
from workflow_platform.engine.stepping import accept_event
from workflow_platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from workflow_platform.tenancy.capabilities import Capability, may
from workflow_platform.tenancy.models import Membership, OperatorGroup, Tenant
from workflow_platform.tenancy.scoping import tenant_scope

from . import selectors
from .forms import check_decision
from .models import OPEN_STATUSES, HumanTask, TaskActivity, TaskStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _membership(tenant: Tenant, user: User) -> Membership:
    membership = Membership.objects.for_tenant(tenant).filter(user=user).first()
    if membership is None or not may(membership, Capability.HANDLE_TASKS):
        raise PermissionDenied("not_an_operator", "Only operators and admins act on tasks.")
    return membership


def _load(tenant: Tenant, task_id: int) -> HumanTask:
    task = (
        HumanTask.objects.for_tenant(tenant)
        .select_related("assignee", "group")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("task_not_found", "No such task in this tenant.")
    return task


def _can_see(task: HumanTask, user: User, membership: Membership) -> bool:
    if may(membership, Capability.SUPERVISE_TASKS) or task.assignee_id == user.pk:
        return True
    group = task.group
    if group is None:
        return task.assignee_id is None
    return group.members.filter(pk=user.pk).exists()


def _stale(task: HumanTask, verb: str, user: User) -> Conflict:
    """The Conflict for a refused change, saying what is true of the task now: it ended,
    someone else holds it (claimed, or offered to them), or it changed since seen."""
    fresh = HumanTask.objects.with_scopes_disabled().select_related("assignee").get(pk=task.pk)
    if fresh.status == TaskStatus.COMPLETED:
        return Conflict("task_already_completed", "Someone completed this task already.")
    if fresh.status == TaskStatus.CANCELLED:
        return Conflict("task_cancelled", "This task was cancelled (its instance moved on).")
    if fresh.assignee_id and fresh.assignee_id != user.pk and fresh.status == TaskStatus.CLAIMED:
        return Conflict(
            "task_claimed_by_other",
            f"{fresh.assignee} claimed this task first; it is no longer yours to {verb}.",
        )
    if held := selectors.held_elsewhere(fresh, user):
        return Conflict("task_offered_to_other", held)
    return Conflict(
        "task_changed", f"This task changed while you looked at it; reload and {verb} again."
    )


def _update(
    task: HumanTask,
    *,
    verb: str,
    expected_revision: int | None,
    guard: Q,
    change: str,
    user: User,
    detail: dict | None = None,
    **values: Any,
) -> HumanTask:
    """Apply ``values`` only if the row still matches ``guard`` (and the revision)."""
    if expected_revision is not None:
        guard &= Q(revision=expected_revision)
    if not task.change(change, guard=guard, **values):
        raise _stale(task, verb, user)
    TaskActivity(
        tenant_id=task.tenant_id, task=task, user=user, action=change, detail=detail or {}
    ).save()
    return task


@transaction.atomic
def claim_task(
    *, tenant: Tenant, task_id: int, user: User, expected_revision: int | None = None
) -> HumanTask:
    """Make ``user`` the task's assignee. Claiming your own claimed task is a no-op.

    Raises NotFound (other tenant's or invisible task), Conflict (someone else holds it,
    it ended, or it changed since ``expected_revision``).
    """
    membership = _membership(tenant, user)
    task = _load(tenant, task_id)
    if not _can_see(task, user, membership):
        raise NotFound("task_not_found", "No such task in this tenant.")
    if task.status == TaskStatus.CLAIMED and task.assignee_id == user.pk:
        return task
    guard = Q(status=TaskStatus.OPEN) & (Q(assignee__isnull=True) | Q(assignee=user))
    return _update(
        task, verb="claim", expected_revision=expected_revision, guard=guard, change="claimed",
        user=user, status=TaskStatus.CLAIMED, assignee=user, claimed_at=timezone.now(),
    )  # fmt: skip


@dataclass
class BulkClaim:
    claimed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # task id -> why


def bulk_claim(*, tenant: Tenant, task_ids: list[int], user: User) -> BulkClaim:
    """Claim each task on its own (one transaction each): one lost race spoils no other."""
    result = BulkClaim()
    for task_id in dict.fromkeys(task_ids):
        try:
            claim_task(tenant=tenant, task_id=task_id, user=user)
            result.claimed.append(task_id)
        except (Conflict, NotFound, PermissionDenied) as error:
            result.refused[task_id] = error.message
    return result


@transaction.atomic
def release_task(
    *, tenant: Tenant, task_id: int, user: User, expected_revision: int | None = None
) -> HumanTask:
    """Give a claimed task back to its group (unassigned, open). Assignee or admin only."""
    membership = _membership(tenant, user)
    task = _load(tenant, task_id)
    if not _can_see(task, user, membership):
        raise NotFound("task_not_found", "No such task in this tenant.")
    if task.assignee_id != user.pk and not may(membership, Capability.SUPERVISE_TASKS):
        raise PermissionDenied("not_your_task", "Only the assignee or an admin can release it.")
    guard = Q(status__in=OPEN_STATUSES, assignee_id=task.assignee_id)
    return _update(
        task, verb="release", expected_revision=expected_revision, guard=guard,
        change="released", user=user, status=TaskStatus.OPEN, assignee=None, claimed_at=None,
    )  # fmt: skip


def _assignable(tenant: Tenant, username: str) -> User:
    """A member who can take a task now: an active operator or admin who is not away.

    Routing and escalation skip the same people; a person handing a task on is told why.
    """
    user = get_user_model().objects.filter(username=username).first()
    membership = Membership.objects.for_tenant(tenant).filter(user=user).first() if user else None
    if user is None or membership is None:
        raise InvalidInput("unknown_user", f"'{username}' is not a member of this tenant.")
    if not user.is_active:
        raise InvalidInput("inactive_user", f"{username}'s account is not active.")
    if not may(membership, Capability.HANDLE_TASKS):
        raise InvalidInput("not_an_operator", f"{username} is not an operator here.")
    if membership.is_away():
        raise InvalidInput(
            "user_away",
            f"{username} is away until {membership.away_until:%Y-%m-%d %H:%M} UTC; "
            "choose someone who is here, or their group.",
        )
    return user


@transaction.atomic
def reassign_task(
    *,
    tenant: Tenant,
    task_id: int,
    user: User,
    to_group: str | None = None,
    to_username: str | None = None,
    expected_revision: int | None = None,
) -> HumanTask:
    """Move an open task to another group and/or person (admins, or its assignee).

    The new assignee (if any) gets it unclaimed (status open) to accept by claiming; it
    must be an active operator or admin who is not away (InvalidInput says which).
    """
    membership = _membership(tenant, user)
    task = _load(tenant, task_id)
    if not _can_see(task, user, membership):
        raise NotFound("task_not_found", "No such task in this tenant.")
    if not may(membership, Capability.SUPERVISE_TASKS) and task.assignee_id != user.pk:
        raise PermissionDenied("not_your_task", "Only the assignee or an admin can reassign it.")
    if not to_group and not to_username:
        raise InvalidInput("no_target", "Say to which group or person the task goes.")
    values: dict[str, Any] = {"status": TaskStatus.OPEN, "claimed_at": None, "assignee": None}
    if to_group:
        group = OperatorGroup.objects.for_tenant(tenant).filter(name=to_group).first()
        if group is None:
            raise InvalidInput("unknown_group", f"There is no group '{to_group}'.")
        values["group"] = group
    if to_username:
        values["assignee"] = _assignable(tenant, to_username)
    guard = Q(status__in=OPEN_STATUSES)
    return _update(
        task, verb="reassign", expected_revision=expected_revision, guard=guard,
        change="reassigned", user=user, detail={"group": to_group, "user": to_username},
        **values,
    )  # fmt: skip


@transaction.atomic
def delegate_task(
    *,
    tenant: Tenant,
    task_id: int,
    user: User,
    to_username: str,
    expected_revision: int | None = None,
) -> HumanTask:
    """Hand a task you hold to a colleague, who then holds it (claimed) in your place.

    The colleague must be an active operator or admin who is not away (InvalidInput).
    """
    membership = _membership(tenant, user)
    task = _load(tenant, task_id)
    if task.assignee_id != user.pk and not may(membership, Capability.SUPERVISE_TASKS):
        raise PermissionDenied("not_your_task", "Claim the task before delegating it.")
    delegate = _assignable(tenant, to_username)
    guard = Q(status__in=OPEN_STATUSES, assignee_id=task.assignee_id)
    return _update(
        task, verb="delegate", expected_revision=expected_revision, guard=guard,
        change="reassigned", user=user, detail={"delegated_to": to_username},
        status=TaskStatus.CLAIMED, assignee=delegate, claimed_at=timezone.now(),
    )  # fmt: skip


@transaction.atomic
def snooze_task(
    *,
    tenant: Tenant,
    task_id: int,
    user: User,
    until: datetime | None,
    expected_revision: int | None = None,
) -> HumanTask:
    """Hide an open task from inbox lists until ``until`` (None wakes it now)."""
    membership = _membership(tenant, user)
    task = _load(tenant, task_id)
    if not _can_see(task, user, membership):
        raise NotFound("task_not_found", "No such task in this tenant.")
    if until is not None and until <= timezone.now():
        raise InvalidInput("bad_snooze", "Snooze until a time in the future.")
    return _update(
        task, verb="snooze", expected_revision=expected_revision, guard=Q(status__in=OPEN_STATUSES),
        change="snoozed", user=user, detail={"until": until.isoformat() if until else None},
        snoozed_until=until,
    )  # fmt: skip


@transaction.atomic
def set_away(*, tenant: Tenant, user: User, until: datetime | None) -> Membership:
    """Mark ``user`` away until ``until`` (None: back now); routing and escalation skip them."""
    if until is not None and until <= timezone.now():
        raise InvalidInput("bad_return_date", "The return date must be in the future.")
    with tenant_scope(tenant):
        membership = Membership.objects.select_for_update().filter(user=user).first()
        if membership is None:
            raise PermissionDenied("not_a_member", "You are not a member of this tenant.")
        membership.away_until = until
        membership.full_clean()
        membership.save(update_fields=["away_until"])
    return membership


def complete_task(
    *,
    tenant: Tenant,
    task_id: int,
    user: User,
    decision: str,
    data: dict[str, Any],
    expected_revision: int | None = None,
) -> HumanTask:
    """Decide a task you hold (or an open one you may see, which you claim first).

    Raises NotFound (invisible), Conflict when someone else holds or finished it, and
    what :func:`complete_human_task` raises for the decision and its data.
    """
    membership = _membership(tenant, user)
    task = _load(tenant, task_id)
    if not _can_see(task, user, membership):
        raise NotFound("task_not_found", "No such task in this tenant.")
    with transaction.atomic():
        # Re-read under a row lock: the checks and the completion see the same task. A
        # decision that does not pass its check rolls the claim back with it.
        locked = HumanTask.objects.with_scopes_disabled().select_for_update().get(pk=task.pk)
        if locked.status not in OPEN_STATUSES or locked.assignee_id not in (None, user.pk):
            raise _stale(locked, "complete", user)
        if expected_revision is not None and locked.revision != expected_revision:
            raise _stale(locked, "complete", user)
        if locked.status == TaskStatus.OPEN:
            claim_task(tenant=tenant, task_id=task.pk, user=user)
        done = complete_human_task(
            tenant=tenant, task_id=task.pk, user=user, decision=decision, data=data
        )
        TaskActivity(
            tenant_id=task.tenant_id, task=done, user=user, action="completed",
            detail={"decision": decision},
        ).save()  # fmt: skip
    return done


def complete_human_task(*, tenant, task_id: int, user, decision: str, data: Any) -> HumanTask:
    """Decide a human task: check the decision and ``data`` against its form, resume the
    instance.

    Atomic: the task, the event the decision fires and the instance change commit
    together. Raises NotFound, Conflict ``task_already_completed`` (decided twice, or
    cancelled), InvalidInput ``bad_decision``, Unprocessable ``invalid_task_data`` (one
    detail per field), Conflict ``event_not_accepted`` when the decision's guard refuses
    the data.
    """
    with transaction.atomic():
        task = HumanTask.objects.for_tenant(tenant).select_for_update().filter(pk=task_id).first()
        if task is None:
            raise NotFound("task_not_found", f"Task {task_id} does not exist.")
        if task.is_done:
            raise Conflict("task_already_completed", f"Task {task.pk} is already {task.status}.")
        data = check_decision(task, decision, data)
        instance = lock_instance(tenant, task.instance_id)
        now = timezone.now()
        move = accept_event(instance, event=decision, payload=data, user=user, now=now)
        decided = move.history[-1]
        decided.type = HistoryEvent.Type.TASK_COMPLETED
        # Who decided, by name too: the event's user link is cleared if the account is
        # deleted, and the history must still say who it was.
        decided.detail = {
            "task": task.pk,
            "decision": decision,
            "decided_by": user.get_username() if user is not None else "",
            "payload": data,
        }
        save_one(move, now=now)
        task.complete(decision=decision, data=data, user=user, now=now)
        dispatch.nudge_steps()
    return task
