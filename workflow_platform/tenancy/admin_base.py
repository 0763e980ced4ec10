"""Base classes for the admin of tenant-owned models.

Non-superusers see and change only their current tenant's rows: the queryset, the
``tenant`` field (hidden and set on save), foreign-key choices (scoped managers) and
list filters all follow ``request.tenant``. Superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


def is_platform_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class TenantAdminMixin:
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        manager = self.model._default_manager
        if is_platform_superuser(request):
            return manager.with_scopes_disabled().all()
        if getattr(request, "tenant", None) is None:
            return manager.with_scopes_disabled().none()
        return manager.for_tenant(request.tenant)

    def get_exclude(self, request: HttpRequest, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not is_platform_superuser(request):
            exclude.append("tenant")
        return exclude

    def get_list_filter(self, request: HttpRequest):
        filters = list(super().get_list_filter(request))
        if is_platform_superuser(request):
            filters.insert(0, "tenant")
        return filters

    def get_list_display(self, request: HttpRequest):
        display = list(super().get_list_display(request))
        if is_platform_superuser(request) and "tenant" not in display:
            display.append("tenant")
        return display


class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        if not change and not is_platform_superuser(request):
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Inline rows belong to the parent's tenant, whoever edits them.
        for row in formset.save(commit=False):
            if hasattr(row, "tenant_id") and not row.tenant_id:
                row.tenant_id = form.instance.tenant_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()


class TenantInline(TenantAdminMixin, admin.TabularInline):
    extra = 0
