"""Reads about tenancy. Tenant first, so a forgotten scope is a type error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import Membership, OperatorGroup, Tenant
from .scoping import all_tenants

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def memberships_of(user: User | AnonymousUser) -> list[Membership]:
    """Every membership of ``user``, across tenants (for the tenant switcher)."""
    if not user.is_authenticated:
        return []
    with all_tenants():  # limited to the user's own rows
        return list(
            Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
        )


def membership_in(tenant: Tenant, user: User | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.for_tenant(tenant).filter(user=user).first()


def groups_for(tenant: Tenant) -> QuerySet[OperatorGroup]:
    return OperatorGroup.objects.for_tenant(tenant)


def group_names_of(tenant: Tenant, user: User) -> list[str]:
    return list(groups_for(tenant).filter(members=user).values_list("name", flat=True))


def member_users(tenant: Tenant) -> QuerySet:
    """The users who are members of ``tenant``."""
    # A join, not a tenant-owned queryset: the filter on the tenant is the scope here.
    return get_user_model().objects.filter(memberships__tenant=tenant)


def membership_candidates(tenant: Tenant) -> QuerySet:
    """Users a tenant admin may give a membership in ``tenant``.

    The tenant's own members, and users who belong to no tenant yet (not superusers).
    A member of another tenant is not offered: adding them would hand this tenant's
    admin a say over an account that another tenant relies on.
    """
    # One row per user: a user has at most one membership in ``tenant``.
    return get_user_model().objects.filter(
        Q(memberships__tenant=tenant) | Q(memberships__isnull=True, is_superuser=False)
    )


def is_shared_account(tenant: Tenant, user: User) -> bool:
    """True when ``user`` is a superuser or also belongs to a tenant other than ``tenant``.

    Only a superuser may then change the account itself (password, username, deletion):
    it is not this tenant's alone.
    """
    if user.is_superuser:
        return True
    return any(m.tenant_id != tenant.pk for m in memberships_of(user))
