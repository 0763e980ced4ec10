"""Which role may do what: the one table the pages and the API both apply.

A face or an API permission asks :func:`may` about a :class:`Capability`, never about a
role, so a role's rights change here and nowhere else (docs/api.md, "Roles", prints this
table and a test keeps the two equal). Admins may do everything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from .models import Role

if TYPE_CHECKING:
    from .models import Membership


class Capability(StrEnum):
    READ = "read"
    EDIT_DEFINITIONS = "edit_definitions"
    TUNE_DEPENDENCIES = "tune_dependencies"
    START_INSTANCES = "start_instances"
    OPERATE_INSTANCES = "operate_instances"
    HANDLE_TASKS = "handle_tasks"
    SUPERVISE_TASKS = "supervise_tasks"
    MANAGE_TENANT = "manage_tenant"


# What each capability covers, in the words of docs/api.md's role table.
CAPABILITY_LABELS: dict[Capability, str] = {
    Capability.READ: "read everything of the tenant",
    Capability.EDIT_DEFINITIONS: "create, edit, publish, retire, import and delete definitions",
    Capability.TUNE_DEPENDENCIES: "tune dependencies' limits",
    Capability.START_INSTANCES: "start instances",
    Capability.OPERATE_INSTANCES: (
        "send events to, cancel, retry, suspend, resume, redrive and migrate instances"
    ),
    Capability.HANDLE_TASKS: "claim, release, complete and reassign human tasks",
    Capability.SUPERVISE_TASKS: (
        "see and act on every human task, whoever holds it and whichever group it is for"
    ),
    Capability.MANAGE_TENANT: "manage members, groups, API tokens and webhooks",
}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.VIEWER: frozenset({Capability.READ}),
    Role.DESIGNER: frozenset(
        {
            Capability.READ,
            Capability.EDIT_DEFINITIONS,
            Capability.TUNE_DEPENDENCIES,
            # Designers try out what they publish from the designer's Start tab.
            Capability.START_INSTANCES,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            Capability.READ,
            Capability.START_INSTANCES,
            Capability.OPERATE_INSTANCES,
            Capability.HANDLE_TASKS,
        }
    ),
    Role.ADMIN: frozenset(Capability),
}


def role_may(role: str, capability: Capability) -> bool:
    """True when ``role`` has ``capability`` (an unknown role has none)."""
    if role not in Role.values:
        return False
    return capability in ROLE_CAPABILITIES[Role(role)]


def roles_with(capability: Capability) -> list[str]:
    """The roles that have ``capability``, for queries that pick members by role."""
    return [role.value for role, granted in ROLE_CAPABILITIES.items() if capability in granted]


def may(membership: Membership | None, capability: Capability) -> bool:
    """True when the member's role has ``capability``; False without a membership."""
    return membership is not None and role_may(membership.role, capability)
