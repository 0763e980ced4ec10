"""Who a new human task goes to: the pluggable routing hook and its default.

The setting ``WORKFLOW_TASK_ROUTER`` names a function ``route(task, spec) ->
RoutingDecision`` (dotted path). The simplest, :func:`route_by_spec`, follows
the state's ``task.assign`` (``{"group": name}`` or ``{"user": username}``); the default
(``rules.route``) adds skills, load and availability. The worklist applies the
decision: it resolves the group by name in the task's tenant and records the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from workflow_platform.tenancy.models import Membership, OperatorGroup

if TYPE_CHECKING:
    from workflow_platform.definitions.machine import TaskSpec

    from .models import HumanTask

DEFAULT_ROUTER = "workflow_platform.worklist.rules.route"


@dataclass(frozen=True)
class RoutingDecision:
    group_name: str | None = None
    assignee_id: int | None = None
    reason: str = ""


def _member_id(tenant, username: str) -> int | None:
    user = get_user_model().objects.filter(username=username).first()
    if user and Membership.objects.for_tenant(tenant).filter(user=user).exists():
        return user.pk
    return None


def route_by_spec(task: HumanTask, spec: TaskSpec) -> RoutingDecision:
    """Assign as the state's ``task.assign`` says; unassigned (with why) otherwise."""
    assign = spec.assign or {}
    if assign.get("user"):
        user_id = _member_id(task.tenant, str(assign["user"]))
        if user_id is None:
            return RoutingDecision(reason=f"user '{assign['user']}' is not a member; unassigned")
        return RoutingDecision(assignee_id=user_id, reason=f"assigned to user {assign['user']}")
    if assign.get("group"):
        return RoutingDecision(group_name=str(assign["group"]), reason=f"group {assign['group']}")
    if assign.get("rule"):
        return RoutingDecision(reason=f"rule '{assign['rule']}' needs a routing plugin; unassigned")
    return RoutingDecision(reason="no assignment in the definition; unassigned")


@cache
def _router(path: str):
    return import_string(path)


def route_task(task: HumanTask, spec: TaskSpec) -> None:
    """Set ``task.group``, ``task.assignee`` and ``task.routing_reason`` (not saved)."""
    router = _router(getattr(settings, "WORKFLOW_TASK_ROUTER", DEFAULT_ROUTER))
    decision = router(task, spec)
    reason = decision.reason
    if decision.group_name:
        group = (
            OperatorGroup.objects.for_tenant(task.tenant).filter(name=decision.group_name).first()
        )
        if group is None:
            reason = f"{reason}; group '{decision.group_name}' does not exist, unassigned"
        task.group = group
    task.assignee_id = decision.assignee_id
    task.routing_reason = reason[:1000]


def escalation_target(task: HumanTask) -> tuple[OperatorGroup | None, int | None, str]:
    """The group and user a task's ``escalate_to`` names (either may be None), and in
    words where the task goes and why (for its routing reason).

    A user who is away (``Membership.away_until``) or inactive is skipped, as routing
    skips them: the task then goes to the queue of its own group (unassigned), so that
    an escalation never hands work to someone who is not there.
    """
    target = task.escalate_to or {}
    group = None
    user_id = None
    notes = []
    if target.get("group"):
        group = OperatorGroup.objects.for_tenant(task.tenant).filter(name=target["group"]).first()
        if group is None:
            notes.append(f"group {target['group']} does not exist")
    if target.get("user"):
        username = str(target["user"])
        user_id = _present_member_id(task.tenant, username)
        if user_id is None:
            notes.append(f"{username} is away or not an active member")
            if group is None:
                group = task.group
        else:
            notes.append(f"to {username}")
    if user_id is None:
        notes.append(f"to group {group.name}, unassigned" if group else "nowhere to go, kept")
    elif group is not None:
        notes.append(f"in group {group.name}")
    return group, user_id, "; ".join(notes)


def _present_member_id(tenant, username: str) -> int | None:
    membership = (
        Membership.objects.for_tenant(tenant)
        .filter(user__username=username, user__is_active=True)
        .first()
    )
    if membership is None or membership.is_away():
        return None
    return membership.user_id
