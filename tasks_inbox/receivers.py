"""Receivers that become live hints: every human-task change, and every change of a
member's access (membership, operator groups, an account deactivated), which the
member's open sockets must check again (consumers.py).

They run inside the transaction that made the change (the worklist sends its signal
there), so ``live.publish`` can defer or co-write the notification with it. Emails for
assignment and escalation go out after commit (notifications.py).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from workflow_platform.tenancy.models import Membership, OperatorGroup, Tenant
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.tenancy.selectors import memberships_of
from workflow_platform.worklist.signals import human_task_changed

from . import live, notifications


def connect() -> None:
    human_task_changed.connect(on_human_task_changed, dispatch_uid="inbox-live-task")
    post_save.connect(on_membership_changed, sender=Membership, dispatch_uid="inbox-access-1")
    post_delete.connect(on_membership_changed, sender=Membership, dispatch_uid="inbox-access-2")
    members = OperatorGroup.members.through
    m2m_changed.connect(on_group_members_changed, sender=members, dispatch_uid="inbox-access-3")
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="inbox-access-4")


def announce_access_changed(tenant_id: int, user_ids) -> None:
    """Tell these users' open sockets in the tenant to check their access again, once
    the change is committed (a socket that checks earlier would still find access)."""
    users = set(user_ids)
    if users:
        transaction.on_commit(lambda: _announce(tenant_id, users))


def _announce(tenant_id: int, users: set[int]) -> None:
    # A tenant deleted with its memberships can hold no notification row any more (the
    # embedded transport); its members' sockets are refused when they reconnect.
    if not live.uses_redis() and not Tenant.objects.filter(pk=tenant_id).exists():
        return
    for user_id in users:
        live.publish(tenant_id, [live.user_channel(user_id)], {"change": live.ACCESS_CHANGED})


def on_membership_changed(sender, instance: Membership, **kwargs) -> None:
    if not kwargs.get("created"):  # a new membership changes no open socket
        announce_access_changed(instance.tenant_id, [instance.user_id])


def on_group_members_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # user.operator_groups changed: ``instance`` is the user
        with all_tenants():  # the user's own groups, whichever tenants they are in
            if action == "pre_clear":  # no pk_set: every group the user is in now
                groups = OperatorGroup.objects.filter(members=instance)
            else:
                groups = OperatorGroup.objects.filter(pk__in=pk_set or ())
            tenants = set(groups.values_list("tenant_id", flat=True))
        for tenant_id in tenants:
            announce_access_changed(tenant_id, [instance.pk])
        return
    users = instance.members.values_list("pk", flat=True) if action == "pre_clear" else pk_set
    announce_access_changed(instance.tenant_id, users or ())


def on_user_saved(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        for membership in memberships_of(instance):
            announce_access_changed(membership.tenant_id, [instance.pk])


def channels_for(task) -> list[str]:
    """The tenant channel (every inbox list) plus the task's group and assignee."""
    groups = [live.tenant_channel(task.tenant_id)]
    if task.group_id:
        groups.append(live.group_channel(task.group_id))
    if task.assignee_id:
        groups.append(live.user_channel(task.assignee_id))
    return groups


def on_human_task_changed(sender, task, change: str, **kwargs) -> None:
    live.publish(
        task.tenant_id,
        channels_for(task),
        {
            "task_id": task.pk,
            "change": change,
            "assignee_id": task.assignee_id,
            "revision": task.revision,
        },
    )
    notifications.on_task_changed(task, change)
