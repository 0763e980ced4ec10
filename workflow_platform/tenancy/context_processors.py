"""Template context for the tenant switcher and role-aware navigation."""

from django.http import HttpRequest


def tenancy(request: HttpRequest) -> dict:
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "tenant_memberships": getattr(request, "memberships", []),
    }
