"""The base every API viewset builds on: tenant scope, membership, one model.

``TenantViewSet`` resolves the tenant and opens its scope (tenancy.py), requires a
member of that tenant, and takes its rows from ``model``'s scoped manager, so a row of
another tenant is simply not there: 404, never 403. Schema generation runs outside any
request, so it gets an empty queryset instead. Lists filter with django-filter and order
with ``PlatformOrderingFilter`` (an unknown ``ordering`` is a 400).
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from workflow_platform.tenancy.scoping import all_tenants

from .ordering import PlatformOrderingFilter
from .permissions import IsTenantMember
from .tenancy import TenantScopedAPIMixin


class TenantViewSet(TenantScopedAPIMixin, viewsets.GenericViewSet):
    model = None
    filter_backends = [DjangoFilterBackend, PlatformOrderingFilter]
    base_permissions = (IsAuthenticated, IsTenantMember)
    extra_permissions: tuple = ()
    # Per action, instead of extra_permissions (e.g. who may start is not who may cancel).
    action_permissions: dict[str, tuple] = {}
    problem_statuses: tuple = ()

    def get_permissions(self):
        extra = self.action_permissions.get(self.action, self.extra_permissions)
        return [cls() for cls in (*self.base_permissions, *extra)]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            with all_tenants():  # schema generation: only the model is needed
                return self.model.objects.none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        """The rows of the request's tenant (the scope is open); override to narrow."""
        return self.model.objects.all()
