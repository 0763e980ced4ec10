"""Member and group removal that does not strand work: the worklist wraps tenancy's.

Tenancy is the ground floor and knows nothing of tasks; whoever removes a member or a
group (the API, an admin page) calls these, which refuse while open tasks are held.
"""

from __future__ import annotations

from django.db import transaction

from workflow_platform.errors import Conflict
from workflow_platform.tenancy import membership_services
from workflow_platform.tenancy.models import Membership, OperatorGroup, Tenant

from .models import OPEN_STATUSES, HumanTask


@transaction.atomic
def remove_member(*, tenant: Tenant, membership_id: int) -> None:
    """Tenancy's ``remove_member`` (last-admin check first), then refused (Conflict
    ``member_holds_tasks``, nothing removed) if the member still holds open tasks."""
    membership = Membership.objects.for_tenant(tenant).filter(pk=membership_id).first()
    membership_services.remove_member(tenant=tenant, membership_id=membership_id)
    assert membership is not None  # tenancy's remove_member raised NotFound otherwise
    held = (
        HumanTask.objects.for_tenant(tenant)
        .filter(assignee_id=membership.user_id, status__in=OPEN_STATUSES)
        .count()
    )
    if held:
        raise Conflict(
            "member_holds_tasks",
            f"{membership.user.get_username()} holds {held} open human task(s) here; "
            "reassign or release them before removing them.",
        )


@transaction.atomic
def delete_group(*, tenant: Tenant, group_id: int) -> None:
    """Refused (Conflict ``group_has_open_tasks``) while open tasks are assigned to the
    group; otherwise tenancy's ``delete_group``."""
    group = OperatorGroup.objects.for_tenant(tenant).select_for_update().filter(pk=group_id)
    name = group.values_list("name", flat=True).first()
    waiting = (
        HumanTask.objects.for_tenant(tenant)
        .filter(group_id=group_id, status__in=OPEN_STATUSES)
        .count()
    )
    if waiting:
        raise Conflict(
            "group_has_open_tasks",
            f"{waiting} open human task(s) are assigned to '{name}'; reassign them "
            "before deleting the group.",
        )
    membership_services.delete_group(tenant=tenant, group_id=group_id)
