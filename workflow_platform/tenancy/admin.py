"""Admin for tenants, memberships, groups, tokens, and users limited to one's tenant."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .admin_base import TenantAdmin, TenantRoleMixin, is_platform_superuser, tenant_users
from .models import ApiToken, Membership, OperatorGroup, Tenant
from .services import revoke_api_token


@admin.register(Tenant)
class TenantModelAdmin(TenantRoleMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "allow_private_network", "created_at"]
    search_fields = ["name", "slug"]
    list_filter = ["allow_private_network"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if is_platform_superuser(request):
            return qs
        tenant = getattr(request, "tenant", None)
        return qs.filter(pk=tenant.pk) if tenant else qs.none()

    def has_add_permission(self, request):
        return is_platform_superuser(request)

    def has_delete_permission(self, request, obj=None):
        return is_platform_superuser(request)


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    list_display = ["user", "role", "away_until", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(OperatorGroup)
class OperatorGroupAdmin(TenantAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]
    filter_horizontal = ["members"]  # choices: the tenant's members (TenantAdminMixin)


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdmin):
    list_display = ["name", "prefix", "user", "created_at", "expires_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # Tokens are issued where the secret can be shown once (API, management command).
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_api_token(tenant=token.tenant, token_id=token.pk)
        messages.success(request, f"Revoked {queryset.count()} token(s).")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TenantUserAdmin(TenantRoleMixin, UserAdmin):
    """Tenant admins see the users of their tenant only, and cannot grant superuser."""

    def get_queryset(self, request):
        if is_platform_superuser(request):
            return super().get_queryset(request)
        return tenant_users(request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not is_platform_superuser(request):
            fields += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fields
