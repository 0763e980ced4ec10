"""Reads of the worklist: which tasks an operator sees, searches and counts, who can take them.

Tenant first, always: a task query without a tenant is a type error, not a leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from workflow_platform.engine.machines import machine_of_version
from workflow_platform.errors import NotFound
from workflow_platform.tenancy.capabilities import Capability, may, roles_with
from workflow_platform.tenancy.models import Membership, Tenant

from .models import OPEN_STATUSES, HumanTask, TaskActivity, TaskStatus
from .search import fold

if TYPE_CHECKING:
    from django.contrib.auth.models import User

DUE_SOON = timedelta(hours=1)
VIEWS = ("mine", "groups", "unassigned", "all")
SORTS = {
    "due": ("due_at", "-priority", "created_at"),
    "priority": ("-priority", "due_at", "created_at"),
    "age": ("created_at", "id"),
}


def is_admin(membership: Membership | None) -> bool:
    """True when the member supervises every task of the tenant (the role table's admins)."""
    return may(membership, Capability.SUPERVISE_TASKS)


def held_elsewhere(task: HumanTask, user: User) -> str:
    """Why ``user`` may not claim or decide an open ``task`` another person holds, or ''.

    A task offered to someone (assigned, still open) is theirs to claim; a claimed one is
    its assignee's. Admins hand either on by reassigning, not by claiming.
    """
    if task.status not in OPEN_STATUSES or task.assignee_id in (None, user.pk):
        return ""
    if task.status == TaskStatus.OPEN:
        return f"This task is offered to {task.assignee}; only they can claim or decide it."
    return f"This task is claimed by {task.assignee}; only they can decide it."


def may_claim(task: HumanTask, user: User) -> bool:
    """The claim rule (``services.claim_task`` applies it in its UPDATE): an open task
    that nobody holds or that is offered to ``user``."""
    return task.status == TaskStatus.OPEN and task.assignee_id in (None, user.pk)


def may_decide(task: HumanTask, user: User) -> bool:
    """The completion rule (``services.complete_task``): an open task nobody else holds."""
    return task.status in OPEN_STATUSES and task.assignee_id in (None, user.pk)


@dataclass(frozen=True)
class TaskChoices:
    """What one member may do to one task they can see, for the pages' buttons."""

    claim: bool
    decide: bool
    release: bool
    hand_on: bool  # reassign and delegate
    why_not: str  # when another person holds it: who, in words


def choices_for(task: HumanTask, user: User, membership: Membership | None) -> TaskChoices:
    """The worklist's rules for ``user`` on ``task`` (which they can see), in one place:
    the list's row, the task page and the services say the same."""
    if not may(membership, Capability.HANDLE_TASKS) or task.status not in OPEN_STATUSES:
        return TaskChoices(claim=False, decide=False, release=False, hand_on=False, why_not="")
    admin = is_admin(membership)
    mine = task.assignee_id == user.pk
    return TaskChoices(
        claim=may_claim(task, user),
        decide=may_decide(task, user),
        release=task.assignee_id is not None and (mine or admin),
        hand_on=mine or admin,
        why_not=held_elsewhere(task, user),
    )


def humanise(name: str) -> str:
    """An event name as words, for a transition without a label: 'Mark_shipped' is
    'Mark shipped'."""
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]


def decision_words(version_id: int, state: str) -> dict[str, str]:
    """The words of each decision out of ``state``: the ``label`` of the first
    transition on that event (the definition's words); an event without one is missing
    (the caller humanises it)."""
    labels: dict[str, str] = {}
    for transition in machine_of_version(version_id).outgoing(state):
        if transition.label and transition.on not in labels:
            labels[transition.on] = transition.label
    return labels


def decision_labels(task: HumanTask) -> dict[str, str]:
    """Each of the task's decisions with the words its button shows: the ``label`` of the
    first transition out of the task's state on that event (the definition's words), else
    the event name humanised. In the order of ``task.decisions``."""
    labels = decision_words(task.instance.version_id, task.state)
    return {event: labels.get(event) or humanise(event) for event in task.decisions or []}


def decision_label(task: HumanTask) -> str:
    """The words of the decision ``task`` was completed with ('' when undecided)."""
    if not task.decision:
        return ""
    return decision_labels(task).get(task.decision) or humanise(task.decision)


def tasks_of(tenant: Tenant) -> QuerySet[HumanTask]:
    return HumanTask.objects.for_tenant(tenant).select_related(
        "group", "assignee", "instance", "instance__definition"
    )


def task_detail(tenant: Tenant, task_id: int) -> HumanTask:
    """One task of ``tenant``; NotFound for another tenant's (404, never 403)."""
    task = tasks_of(tenant).filter(pk=task_id).first()
    if task is None:
        raise NotFound("task_not_found", "No such task in this tenant.")
    return task


def visible_tasks(tenant: Tenant, user: User, *, admin: bool) -> QuerySet[HumanTask]:
    """Tasks ``user`` may see: theirs, their groups', unassigned ones; admins see all."""
    qs = tasks_of(tenant)
    if admin:
        return qs
    return qs.filter(
        Q(assignee=user) | Q(group__members=user) | Q(group__isnull=True, assignee__isnull=True)
    ).distinct()


def inbox_tasks(
    tenant: Tenant,
    user: User,
    *,
    admin: bool,
    view: str = "groups",
    sort: str = "due",
    workflow: str = "",
    state: str = "",
    group: str = "",
    overdue: bool = False,
    query: str = "",
    include_snoozed: bool = False,
    include_closed: bool = False,
) -> QuerySet[HumanTask]:
    """The tasks of one inbox view, filtered, searched and sorted."""
    now = timezone.now()
    qs = visible_tasks(tenant, user, admin=admin)
    if not include_closed:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if view == "mine":
        qs = qs.filter(assignee=user)
    elif view == "groups":
        qs = qs.filter(group__members=user)
    elif view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    # "all": everything visible (the whole tenant for admins)
    if not include_snoozed:
        qs = qs.filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))
    if workflow:
        qs = qs.filter(instance__definition__key=workflow)
    if state:
        qs = qs.filter(state=state)
    if group:
        qs = qs.filter(group__name=group)
    if overdue:
        qs = qs.filter(due_at__lt=now)
    if query:
        # The title and data values, case-folded by Python: alike on SQLite and PostgreSQL,
        # non-ASCII included, and never the data's key names (search.py).
        qs = qs.filter(Q(title__icontains=query) | Q(search__text__contains=fold(query)))
    return qs.order_by(*SORTS.get(sort, SORTS["due"]))


def inbox_counts(tenant: Tenant, user: User, *, admin: bool) -> dict[str, int]:
    """Counts for the inbox badge and tabs (open tasks only, snoozed ones left out)."""
    now = timezone.now()
    qs = visible_tasks(tenant, user, admin=admin).filter(
        Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now), status__in=OPEN_STATUSES
    )
    counts = qs.aggregate(
        mine=Count("id", filter=Q(assignee=user), distinct=True),
        groups=Count("id", filter=Q(group__members=user), distinct=True),
        unassigned=Count("id", filter=Q(assignee__isnull=True), distinct=True),
        overdue=Count("id", filter=Q(due_at__lt=now), distinct=True),
        all=Count("id", distinct=True),
    )
    return {key: value or 0 for key, value in counts.items()}


def open_load(tenant: Tenant, user_ids: list[int]) -> dict[int, int]:
    """How many open tasks each of ``user_ids`` holds (for least-loaded routing)."""
    rows = (
        HumanTask.objects.for_tenant(tenant)
        .filter(assignee_id__in=user_ids, status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    load = dict.fromkeys(user_ids, 0)
    load.update({row["assignee_id"]: row["n"] for row in rows})
    return load


def sla_state(task: HumanTask, now=None) -> str:
    """'overdue', 'due-soon', 'on-time' or '' (no due time) for the SLA badge."""
    if task.due_at is None or task.status not in OPEN_STATUSES:
        return ""
    now = now or timezone.now()
    if task.due_at < now:
        return "overdue"
    if task.due_at - now < DUE_SOON:
        return "due-soon"
    return "on-time"


def workflow_keys(tenant: Tenant) -> list[str]:
    """Keys of the workflows that have tasks in this tenant (for the filter)."""
    return sorted(
        set(
            HumanTask.objects.for_tenant(tenant).values_list("instance__definition__key", flat=True)
        )
    )


def activities_of(tenant: Tenant, task_id: int) -> list[TaskActivity]:
    return list(
        TaskActivity.objects.for_tenant(tenant).filter(task_id=task_id).select_related("user")
    )


def operators_of(tenant: Tenant) -> list[Membership]:
    """Members who can take tasks (for reassign and delegate choices)."""
    return list(
        Membership.objects.for_tenant(tenant)
        .filter(role__in=roles_with(Capability.HANDLE_TASKS), user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
