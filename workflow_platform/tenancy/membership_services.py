"""Services that change who is in a tenant and its operator groups, with their guards.

Adding a member never changes an existing one (a second add is a conflict: change a
member with :func:`change_member`); a tenant always keeps at least one admin; an
operator group is created whole or not at all, and its name is unique in the tenant.
Removing a member or a group must not strand work: the worklist's ``members`` module
wraps those two and refuses while open human tasks are held. Each service is atomic,
keyword-only and raises :mod:`workflow_platform.errors` exceptions a person can act on.

The users an admin may add by name are those who belong to no tenant yet (a fresh
account) or already to this one: a user of another tenant is as unknown as a name that
does not exist, so an admin cannot find out who works elsewhere (ADR 0002).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from workflow_platform.errors import Conflict, InvalidInput, NotFound

from .models import ApiToken, Membership, OperatorGroup, Role, Tenant
from .scoping import all_tenants, tenant_scope

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _unknown_user(username: str) -> InvalidInput:
    return InvalidInput("unknown_user", f"There is no active user '{username}' you can add.")


def joinable_user(*, tenant: Tenant, username: str) -> User:
    """The active user ``username`` if an admin of ``tenant`` may add them (see above)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise _unknown_user(username)
    with all_tenants():  # only whether the user is elsewhere; nothing of it is returned
        elsewhere = Membership.objects.filter(user=user).exclude(tenant=tenant).exists()
    if elsewhere and not Membership.objects.for_tenant(tenant).filter(user=user).exists():
        raise _unknown_user(username)
    return user


def member_named(*, tenant: Tenant, username: str) -> User:
    """The active member ``username`` of ``tenant``; InvalidInput for anyone else."""
    membership = (
        Membership.objects.for_tenant(tenant)
        .select_related("user")
        .filter(user__username=username, user__is_active=True)
        .first()
    )
    if membership is None:
        raise InvalidInput("unknown_user", f"'{username}' is not a member of this tenant.")
    return membership.user


@transaction.atomic
def add_new_member(
    *, tenant: Tenant, user: User, role: str, skills: list[str] | None = None
) -> Membership:
    """Make ``user`` a member of ``tenant``; Conflict ``already_a_member`` if they are."""
    if role not in Role.values:
        raise InvalidInput("bad_role", f"Unknown role '{role}'; use one of {Role.values}.")
    with tenant_scope(tenant):
        if Membership.objects.filter(user=user).exists():
            raise _already_a_member(user)
        membership = Membership(tenant=tenant, user=user, role=role, skills=skills or [])
        membership.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                membership.save()
        except IntegrityError:  # a concurrent add won
            raise _already_a_member(user) from None
    return membership


def _already_a_member(user) -> Conflict:
    return Conflict(
        "already_a_member",
        f"{user.get_username()} is already a member; change their role or skills with PATCH.",
    )


def _locked_membership(tenant: Tenant, membership_id: int) -> Membership:
    """The membership, with every admin membership of the tenant locked.

    Locking the admins serializes concurrent demotions and removals, so two admins
    demoting each other cannot leave the tenant without one.
    """
    admins = Membership.objects.select_for_update().filter(role=Role.ADMIN)
    list(admins.order_by("pk").values_list("pk", flat=True))
    membership = (
        Membership.objects.select_for_update().select_related("user").filter(pk=membership_id)
    ).first()
    if membership is None:
        raise NotFound("member_not_found", "No such member in this tenant.")
    return membership


def _keep_an_admin(membership: Membership, verb: str) -> None:
    if membership.role != Role.ADMIN:
        return
    if not Membership.objects.filter(role=Role.ADMIN).exclude(pk=membership.pk).exists():
        raise Conflict(
            "last_admin",
            f"{membership.user.get_username()} is the tenant's last admin and cannot be "
            f"{verb}; make another member an admin first.",
        )


@transaction.atomic
def change_member(
    *, tenant: Tenant, membership_id: int, role: str | None = None, skills=None
) -> Membership:
    """Change a member's role and/or skills; the last admin cannot be demoted."""
    if role is not None and role not in Role.values:
        raise InvalidInput("bad_role", f"Unknown role '{role}'; use one of {Role.values}.")
    with tenant_scope(tenant):
        membership = _locked_membership(tenant, membership_id)
        if role is not None and role != membership.role:
            _keep_an_admin(membership, "demoted")
            membership.role = role
        if skills is not None:
            membership.skills = list(skills)
        membership.full_clean(validate_unique=False, validate_constraints=False)
        membership.save(update_fields=["role", "skills"])
    return membership


@transaction.atomic
def remove_member(*, tenant: Tenant, membership_id: int) -> None:
    """Take a member out of the tenant: out of its groups, their tokens here revoked.

    Refused (Conflict) for the last admin. The worklist's ``members.remove_member``
    wraps this and also refuses a member who still holds open human tasks.
    """
    with tenant_scope(tenant):
        membership = _locked_membership(tenant, membership_id)
        user = membership.user
        _keep_an_admin(membership, "removed")
        for group in OperatorGroup.objects.filter(members=user):
            group.members.remove(user)
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        membership.delete()


@transaction.atomic
def create_group(
    *, tenant: Tenant, name: str, members: Iterable[User], description: str = ""
) -> OperatorGroup:
    """Create the group ``name`` with ``members`` (all members of ``tenant``), or nothing.

    Conflict ``group_exists`` when the name is taken; InvalidInput ``not_a_member`` when
    a user is not a member of the tenant (nothing is created then).
    """
    with tenant_scope(tenant):
        members = list(members)
        member_ids = set(
            Membership.objects.filter(user__in=members).values_list("user_id", flat=True)
        )
        strangers = [u.get_username() for u in members if u.pk not in member_ids]
        if strangers:
            raise InvalidInput(
                "not_a_member", f"Not members of this tenant: {', '.join(strangers)}."
            )
        if OperatorGroup.objects.filter(name=name).exists():
            raise _group_exists(name)
        group = OperatorGroup(tenant=tenant, name=name, description=description)
        group.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                group.save()
        except IntegrityError:  # a concurrent create won
            raise _group_exists(name) from None
        group.members.add(*members)
    return group


def _group_exists(name: str) -> Conflict:
    return Conflict(
        "group_exists", f"There is already a group '{name}'; add members to it instead."
    )


def _locked_group(group_id: int) -> OperatorGroup:
    group = OperatorGroup.objects.select_for_update().filter(pk=group_id).first()
    if group is None:
        raise NotFound("group_not_found", "No such operator group in this tenant.")
    return group


@transaction.atomic
def delete_group(*, tenant: Tenant, group_id: int) -> None:
    """Delete an operator group (the worklist's ``members.delete_group`` wraps this and
    refuses while open tasks are assigned to it)."""
    with tenant_scope(tenant):
        _locked_group(group_id).delete()


@transaction.atomic
def remove_from_group(*, tenant: Tenant, group_id: int, user: User) -> OperatorGroup:
    """Take ``user`` out of the group; NotFound ``not_in_group`` if they are not in it."""
    with tenant_scope(tenant):
        group = _locked_group(group_id)
        if not group.members.filter(pk=user.pk).exists():
            raise NotFound(
                "not_in_group", f"{user.get_username()} is not in the group '{group.name}'."
            )
        group.members.remove(user)
    return group
