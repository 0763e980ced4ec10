"""Choose the request's tenant and open its scope for the whole request.

The current tenant is kept in the session (switched on the home page). A user who is a
member of no tenant gets ``request.tenant = None`` and any tenant-owned query fails.
API token requests are scoped by the API's authentication instead (api/views).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.http import HttpRequest, HttpResponse

from .scoping import tenant_scope
from .selectors import memberships_of

if TYPE_CHECKING:
    from .models import Membership, Tenant

SESSION_KEY = "current_tenant_id"


class TenantRequest(HttpRequest):
    """The type of a request once ``CurrentTenantMiddleware`` has set its tenant.

    Never instantiated: a request is a plain ``HttpRequest`` with these attributes
    added; :func:`tenant_request` views it as one.
    """

    tenant: Tenant | None
    membership: Membership | None
    memberships: list[Membership]


def tenant_request(request: HttpRequest) -> TenantRequest:
    """``request`` with the attributes this middleware sets (the one cast to them)."""
    return cast("TenantRequest", request)


class CurrentTenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, http_request: HttpRequest) -> HttpResponse:
        request = tenant_request(http_request)
        request.tenant = None
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            memberships = memberships_of(user)
            request.memberships = memberships
            wanted = request.session.get(SESSION_KEY)
            chosen = next((m for m in memberships if m.tenant_id == wanted), None)
            chosen = chosen or (memberships[0] if memberships else None)
            if chosen is not None:
                request.tenant = chosen.tenant
                request.membership = chosen
                with tenant_scope(chosen.tenant):
                    return self.get_response(request)
        return self.get_response(request)
