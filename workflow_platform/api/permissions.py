"""Who may do what through the API: each class asks one question.

The answer comes from the tenancy's capability table (``tenancy.capabilities``), the
same one the pages apply, so a role may do the same through the UI and the API. Views
combine them, e.g. ``[IsTenantMember, ReadOnly | EditsDefinitions]``.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from workflow_platform.tenancy.capabilities import Capability, may
from workflow_platform.tenancy.models import ApiToken


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


class _Capable(BasePermission):
    """Has the caller's role ``capability`` (tenancy.capabilities)?"""

    capability: Capability

    def has_permission(self, request, view) -> bool:
        return may(_membership(request), self.capability)


class EditsDefinitions(_Capable):
    capability = Capability.EDIT_DEFINITIONS
    message = "Editing definitions needs the designer or admin role."


class TunesDependencies(_Capable):
    capability = Capability.TUNE_DEPENDENCIES
    message = "Changing a dependency's limits needs the designer or admin role."


class StartsInstances(_Capable):
    capability = Capability.START_INSTANCES
    message = "Starting instances needs the designer, operator or admin role."


class HandlesWork(_Capable):
    """Operators (and admins) send events to, cancel and repair instances."""

    capability = Capability.OPERATE_INSTANCES
    message = "Handling instances needs the operator or admin role."


class HandlesTasks(_Capable):
    capability = Capability.HANDLE_TASKS
    message = "Handling human tasks needs the operator or admin role."


class ManagesTenant(_Capable):
    capability = Capability.MANAGE_TENANT
    message = "Managing the tenant needs the admin role."


class IsPlatformSuperuser(BasePermission):
    """Is the caller a platform superuser (not a tenant's admin: the platform's operator)?"""

    message = "Only a platform superuser may change this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active and user.is_superuser):
            return False
        # A token reaches nothing once its member has left its tenant, here neither.
        return not isinstance(request.auth, ApiToken) or _membership(request) is not None
