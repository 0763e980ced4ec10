"""The one tenant-scoping mechanism that every tenant-owned model and query goes through.

Tenant-owned models inherit ``tenancy.models.TenantOwned``. Their default manager is a
django-scopes ``ScopedManager``: a query on it raises ``ScopeError`` unless a tenant scope
is active, and inside a scope it is filtered to that tenant. A forgotten scope is a crash,
never a cross-tenant read (docs/adr/0002-tenancy.md).

Where the scope comes from:
- web requests: ``CurrentTenantMiddleware`` opens the scope of the user's current tenant;
- explicit code: ``Model.objects.for_tenant(tenant)`` or ``with tenant_scope(tenant):``;
- system sweeps that really span tenants (the scheduler, superuser admin):
  ``with all_tenants():``, which is greppable and reviewed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

from django.db import models
from django_scopes import ScopedManager, scope, scopes_disabled
from django_scopes.exceptions import ScopeError
from django_scopes.manager import DisabledQuerySet


class Tenant(Protocol):
    """What scoping needs of a tenant (``models.Tenant``, which imports this module)."""

    pk: Any


_M = TypeVar("_M", bound=models.Model)

__all__ = ["ScopeError", "TenantScopedManager", "all_tenants", "tenant_scope"]


@contextmanager
def tenant_scope(tenant: Tenant) -> Iterator[None]:
    """Scope every tenant-owned query inside the block to ``tenant``."""
    if tenant is None or getattr(tenant, "pk", None) is None:
        # django-scopes treats a None value as "no filter"; we never want that.
        raise ScopeError("A saved tenant is required to open a tenant scope.")
    with scope(tenant=tenant):
        yield


@contextmanager
def all_tenants() -> Iterator[None]:
    """Lift tenant scoping for system code that spans tenants (sweeps, superusers)."""
    with scopes_disabled():
        yield


@cache
def _disabled_queryset_class(
    queryset_class: type[models.QuerySet[Any]],
) -> Callable[..., models.QuerySet[Any]]:
    # Called like the queryset class, plus django-scopes' ``missing_scopes`` keyword.
    return type(f"Disabled{queryset_class.__name__}", (DisabledQuerySet, queryset_class), {})


if TYPE_CHECKING:

    class _ScopedManager(models.Manager[_M]):
        """What django-scopes' ``ScopedManager`` adds to a manager (built at runtime)."""

        _queryset_class: type[models.QuerySet[Any]]
        _hints: dict[str, Any]

        def with_scope(self, **scope: Any) -> Self: ...
        def with_scopes_disabled(self) -> Self: ...

else:
    # django-scopes builds its manager class in a factory; this is that class.
    _ScopedManager = type(ScopedManager(tenant="tenant"))


class TenantScopedManager(_ScopedManager[_M]):
    """Default manager of tenant-owned models (see module docstring)."""

    def get_queryset(self) -> models.QuerySet[_M]:
        queryset = super().get_queryset()
        if type(queryset) is DisabledQuerySet and self._queryset_class is not models.QuerySet:
            # Out of a scope django-scopes hands out a plain QuerySet, whose
            # unrefused methods (bulk_create) would skip the model's own queryset
            # checks (a published version's guards): keep both.
            disabled = _disabled_queryset_class(self._queryset_class)
            return disabled(
                self.model,
                using=self._db,
                hints=self._hints,
                missing_scopes=cast("DisabledQuerySet", queryset).missing_scopes,
            )
        return queryset

    def for_tenant(self, tenant: Tenant) -> models.QuerySet[_M]:
        if tenant is None or getattr(tenant, "pk", None) is None:
            raise ScopeError("A saved tenant is required to query tenant-owned data.")
        return self.with_scope(tenant=tenant).get_queryset()
