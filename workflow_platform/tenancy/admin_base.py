"""Base classes for the admin of tenant-owned models.

Non-superusers see and change only their current tenant's rows: the queryset, the
``tenant`` field (hidden and set on save), foreign-key choices (scoped managers, and
user choices limited to the tenant's members) and list filters all follow
``request.tenant``. Django's permissions say what a staff user may do at all; the role
in the current tenant narrows it: only a tenant *admin* may add, change, delete or run
admin actions, while designers, operators and viewers get at most a read-only view
(docs/adr/0002-tenancy.md, "The admin"). Superusers see and do everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Role
from .selectors import member_users

if TYPE_CHECKING:
    # What the mixins extend: they come before a ModelAdmin or an inline in the MRO.
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


def is_platform_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def is_tenant_admin(request: HttpRequest) -> bool:
    """True for superusers and for members whose role in the request's tenant is admin."""
    if is_platform_superuser(request):
        return True
    membership = getattr(request, "membership", None)
    tenant = getattr(request, "tenant", None)
    return (
        membership is not None
        and tenant is not None
        and membership.tenant_id == tenant.pk
        and membership.role == Role.ADMIN
    )


def tenant_users(request: HttpRequest) -> QuerySet:
    """The users who are members of the request's tenant (none without a tenant)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return get_user_model().objects.none()
    return member_users(tenant)


class TenantRoleMixin(_AdminBase):
    """Writes need the role admin in the current tenant on top of Django's permissions.

    Global permissions come from groups that span tenants (e.g. "Tenant admins"), so on
    their own they would let a user who is only a viewer in tenant B administer B after
    switching to it.
    """

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if not is_platform_superuser(request) and getattr(request, "tenant", None) is None:
            return False
        return super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return is_tenant_admin(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_tenant_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_tenant_admin(request) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest):
        # Actions without ``allowed_permissions`` (publish, revoke, replay) run for
        # anyone who can view the list: a read-only member gets none of them.
        if not is_tenant_admin(request):
            return {}
        return super().get_actions(request)


class TenantAdminMixin(TenantRoleMixin):
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        manager = self.model._default_manager
        if is_platform_superuser(request):
            return manager.with_scopes_disabled().all()
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            return manager.with_scopes_disabled().none()
        return manager.for_tenant(tenant)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if _is_user_field(db_field) and not is_platform_superuser(request):
            kwargs.setdefault("queryset", tenant_users(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if _is_user_field(db_field) and not is_platform_superuser(request):
            kwargs.setdefault("queryset", tenant_users(request))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

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


def _is_user_field(db_field) -> bool:
    # The user model is global (not tenant-owned), so no scope narrows its choices.
    return db_field.remote_field is not None and db_field.remote_field.model is get_user_model()


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


class RecordOnlyMixin(_AdminBase):
    """Rows only the platform's services write (the engine's instances, history, timers
    and incidents, human tasks and their audit trail, limit state): viewable, never added,
    changed or deleted by hand, by superusers neither. A hand edit would bypass the
    engine's locks, fencing and history (an instance is the projection of its history,
    which is the audit trail); operators change them through the operations pages and
    the API, which call the services.
    """

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RecordAdmin(RecordOnlyMixin, TenantAdmin):
    """A tenant-scoped, view-only admin of records the services write (RecordOnlyMixin)."""


class RecordInline(RecordOnlyMixin, TenantInline):
    """A view-only inline of such records: no "Add another", no delete box."""
