"""Admin for tenants, memberships, groups, tokens, and users limited to one's tenant.

A tenant admin manages the accounts of their own tenant only. A membership can be given
to the tenant's members or to users who belong to no tenant yet; an account that also
belongs to another tenant (or a superuser's) is read-only to them, so no tenant admin
can reset the password of, rename or delete a user that another tenant relies on.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .admin_base import TenantAdmin, TenantRoleMixin, is_platform_superuser, tenant_users
from .models import (
    ApiToken,
    ChangedVia,
    Membership,
    OperatorGroup,
    Role,
    Tenant,
    TenantSettingChange,
)
from .selectors import is_shared_account, membership_candidates
from .services import add_member, revoke_api_token, set_private_network


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

    def get_readonly_fields(self, request, obj=None):
        # Letting HTTP actions reach private addresses opens the platform's own network
        # (databases, cloud metadata) to a tenant's workflows: the operator of the
        # platform decides it, never a tenant admin.
        fields = list(super().get_readonly_fields(request, obj))
        if not is_platform_superuser(request):
            fields.append("allow_private_network")
        return fields

    def save_model(self, request, obj, form, change):
        # The allowance changes through its service, so a change here is audited like
        # the API's and the command's: the row is saved with the value it had (a new
        # tenant without it), then the service sets the one asked for.
        if "allow_private_network" not in form.fields:  # read only to a tenant admin
            return super().save_model(request, obj, form, change)
        wanted = obj.allow_private_network
        obj.allow_private_network = bool(change and form.initial.get("allow_private_network"))
        super().save_model(request, obj, form, change)
        if wanted != obj.allow_private_network:
            set_private_network(tenant=obj, allow=wanted, by=request.user, via=ChangedVia.ADMIN)
            obj.allow_private_network = wanted


@admin.register(TenantSettingChange)
class TenantSettingChangeAdmin(TenantAdmin):
    """The audit trail of platform settings: read only, for everyone."""

    list_display = ["created_at", "setting", "old_value", "new_value", "actor", "via", "reason"]
    list_filter = ["setting", "via"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["tenant", "user", "role", "skills", "away_until"]

    # The editing tenant admin's tenant (MembershipAdmin.get_form): the tenant field is
    # hidden from them, so the model's unique check cannot see it.
    request_tenant: Tenant | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        tenant = self.request_tenant or cleaned.get("tenant")
        user = cleaned.get("user")
        if tenant is not None and user is not None:
            taken = (
                Membership.objects.for_tenant(tenant)
                .filter(user=user)
                .exclude(pk=self.instance.pk)
                .exists()
            )
            if taken:
                self.add_error("user", f"{user} is already a member of {tenant}.")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    form = MembershipForm
    list_display = ["user", "role", "away_until", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]

    def get_autocomplete_fields(self, request):
        # Tenant admins pick from a short list of candidates (membership_candidates);
        # the autocomplete would search the user admin, which shows members only.
        return ["user"] if is_platform_superuser(request) else []

    def get_form(
        self,
        request: HttpRequest,
        obj: Membership | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[MembershipForm]:
        # Django builds the form class as a subclass of ``self.form``.
        form = cast("type[MembershipForm]", super().get_form(request, obj, change, **kwargs))
        if not is_platform_superuser(request):
            form.request_tenant = getattr(request, "tenant", None)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not is_platform_superuser(request):
            tenant = getattr(request, "tenant", None)
            kwargs["queryset"] = (
                membership_candidates(tenant) if tenant else get_user_model().objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
    """Tenant admins see the users of their tenant only, and cannot grant superuser.

    A shared account (a superuser, or a user who is also a member of another tenant) is
    view-only for them: its password, username, flags and existence are not theirs to
    change. A user a tenant admin creates becomes a viewer of their tenant, so it stays
    in their list and in no other tenant's.
    """

    def get_queryset(self, request):
        if is_platform_superuser(request):
            return super().get_queryset(request)
        return tenant_users(request)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and self._is_shared(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self._is_shared(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not is_platform_superuser(request):
            add_member(tenant=request.tenant, user=obj, role=Role.VIEWER)

    @staticmethod
    def _is_shared(request, user) -> bool:
        if is_platform_superuser(request):
            return False
        tenant = getattr(request, "tenant", None)
        return tenant is None or is_shared_account(tenant, user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not is_platform_superuser(request):
            fields += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return fields
