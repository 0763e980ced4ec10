"""The Django admin site, made tenant-aware.

Superusers see every tenant (their admin views run with tenant scoping lifted); every
other staff user sees only their current tenant, through :class:`TenantAdmin`.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from workflow_platform.tenancy.scoping import all_tenants


class PlatformAdminSite(admin.AdminSite):
    site_header = "Workflow Island administration"
    site_title = "Workflow Island"
    index_title = "Platform data"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def scoped(request, *args, **kwargs):
            if request.user.is_active and request.user.is_superuser:
                with all_tenants():
                    response = inner(request, *args, **kwargs)
                    # A TemplateResponse renders after the view returns; its querysets
                    # (an inline's empty form) must still see every tenant.
                    if hasattr(response, "render") and not response.is_rendered:
                        response.render()
                    return response
            return inner(request, *args, **kwargs)

        return scoped


class PlatformAdminConfig(AdminConfig):
    default_site = "workflow_platform.admin_site.PlatformAdminSite"
