"""Reads about tenancy. Tenant first, so a forgotten scope is a type error."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import Membership, OperatorGroup, Tenant
from .scoping import all_tenants


def memberships_of(user: AbstractBaseUser) -> list[Membership]:
    """Every membership of ``user``, across tenants (for the tenant switcher)."""
    if not user.is_authenticated:
        return []
    with all_tenants():  # limited to the user's own rows
        return list(
            Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name")
        )


def membership_in(tenant: Tenant, user: AbstractBaseUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.for_tenant(tenant).filter(user=user).first()


def groups_for(tenant: Tenant) -> QuerySet[OperatorGroup]:
    return OperatorGroup.objects.for_tenant(tenant)


def group_names_of(tenant: Tenant, user: AbstractBaseUser) -> list[str]:
    return list(groups_for(tenant).filter(members=user).values_list("name", flat=True))


def member_users(tenant: Tenant) -> QuerySet:
    """The users who are members of ``tenant``."""
    # A join, not a tenant-owned queryset: the filter on the tenant is the scope here.
    return get_user_model().objects.filter(memberships__tenant=tenant)
