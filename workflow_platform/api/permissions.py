"""Who may do what through the API: each class asks one question.

Roles (``tenancy.models.Role``): a viewer reads; a designer edits definitions; an
operator handles human tasks and instances; an admin may do everything and manages the
tenant. Views combine them, e.g. ``[IsTenantMember, ReadOnly | EditsDefinitions]``.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from workflow_platform.tenancy.models import Role


def _membership(request):
    return getattr(request, "membership", None)


class IsTenantMember(BasePermission):
    """Is the caller a member of the request's tenant (any role)?"""

    message = "You are not a member of this tenant."

    def has_permission(self, request, view) -> bool:
        return _membership(request) is not None


class ReadOnly(BasePermission):
    """Is the request a read (GET, HEAD, OPTIONS)?"""

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS


class EditsDefinitions(BasePermission):
    """Is the caller a designer (or admin)?"""

    message = "Editing definitions needs the designer role."

    def has_permission(self, request, view) -> bool:
        membership = _membership(request)
        return membership is not None and membership.allows(Role.DESIGNER)


class TunesDependencies(BasePermission):
    """Is the caller a designer (or admin), who sets a dependency's limits?"""

    message = "Changing a dependency's limits needs the designer or admin role."

    def has_permission(self, request, view) -> bool:
        membership = _membership(request)
        return membership is not None and membership.allows(Role.DESIGNER)


class HandlesWork(BasePermission):
    """Is the caller an operator (or admin), who handles instances and human tasks?"""

    message = "Handling instances and tasks needs the operator role."

    def has_permission(self, request, view) -> bool:
        membership = _membership(request)
        return membership is not None and membership.allows(Role.OPERATOR)


class ManagesTenant(BasePermission):
    """Is the caller an admin of the tenant?"""

    message = "Managing the tenant needs the admin role."

    def has_permission(self, request, view) -> bool:
        membership = _membership(request)
        return membership is not None and membership.allows()
