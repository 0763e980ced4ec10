"""Admin for definitions, versions and dependencies.

A version's document is edited only while it is a draft (saved through
``services.save_draft``, so it is canonicalised and checksummed); a published or
retired version is view-only. Its states and transitions are shown inline, read-only:
they are a projection of the document. Status changes go through the admin actions
*publish* and *retire* (the services, hence django-fsm and validation), never a field.
Dependencies show their live limit usage (rate, breaker, in flight) beside their limits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from workflow_platform.errors import PlatformError
from workflow_platform.tenancy.admin_base import TenantAdmin, TenantInline, is_platform_superuser

from . import services
from .models import Definition, State, Transition, Version, VersionStatus
from .validation import validate_document

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

# An admin message lists at most this many problems of one version.
MESSAGE_PROBLEMS = 10


class VersionInline(TenantInline):
    model = Version
    fields = readonly_fields = ("link", "status", "checksum", "published_at", "created_at")
    ordering = ["-number"]

    @admin.display(description="Version")
    def link(self, obj: Version) -> str:
        url = reverse("admin:definitions_version_change", args=[obj.pk])
        return format_html('<a href="{}">v{}</a>', url, obj.number)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DefinitionForm(forms.ModelForm):
    class Meta:
        model = Definition
        fields = ["tenant", "key", "name", "description"]

    # The editing tenant admin's tenant (DefinitionAdmin.get_form): the tenant field is
    # hidden from them, so the model's unique check cannot see it.
    request_tenant: Tenant | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        tenant = self.request_tenant or cleaned.get("tenant")
        key = cleaned.get("key")
        taken = (
            not self.instance.pk
            and tenant is not None
            and key
            and Definition.objects.for_tenant(tenant).filter(key=key).exists()
        )
        if taken:
            self.add_error("key", f"This tenant already has a workflow with the key '{key}'.")
        return cleaned


@admin.register(Definition)
class DefinitionAdmin(TenantAdmin):
    form = DefinitionForm
    list_display = ["key", "name", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["key", "name", "description"]
    readonly_fields = ["created_at"]
    inlines = [VersionInline]

    def get_form(
        self,
        request: HttpRequest,
        obj: Definition | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[DefinitionForm]:
        # Django builds the form class as a subclass of ``self.form``.
        form = cast("type[DefinitionForm]", super().get_form(request, obj, change, **kwargs))
        if not is_platform_superuser(request):
            form.request_tenant = getattr(request, "tenant", None)
        return form

    def get_readonly_fields(self, request, obj=None):
        # The key is part of every version's document: fixed once created.
        return [*self.readonly_fields, "key"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new definition comes with its draft v1 (the starter workflow).
        tenant = obj.tenant if obj.tenant_id else request.tenant
        version = services.create_definition(
            tenant=tenant,
            key=obj.key,
            name=obj.name,
            description=obj.description,
            user=request.user,
        )
        obj.pk, obj.tenant = version.definition_id, tenant
        obj._state.adding = False


class _VersionPartInline(TenantInline):
    """Rows of the document's projection: always read-only (edit the document)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StateInline(_VersionPartInline):
    model = State
    fields = readonly_fields = ("position", "name", "kind", "label", "timeout_seconds")


class TransitionInline(_VersionPartInline):
    model = Transition
    fields = readonly_fields = (
        "position",
        "source",
        "target",
        "on",
        "guard",
        "action",
        "order",
        "after_seconds",
    )


class VersionForm(forms.ModelForm):
    class Meta:
        model = Version
        fields = ["document"]

    def clean_document(self):
        document = self.cleaned_data["document"]
        if not isinstance(document, dict):
            raise forms.ValidationError("A definition document is a JSON object.")
        key = self.instance.definition.key if self.instance.pk else None
        if key and document.get("key") not in (None, key):
            raise forms.ValidationError(f"The document's key must stay '{key}'.")
        return document


@admin.register(Version)
class VersionAdmin(TenantAdmin):
    list_display = ["definition", "number", "status", "published_at", "created_at"]
    list_filter = ["status", "published_at"]
    search_fields = ["definition__key", "definition__name", "checksum"]
    readonly_fields = [
        "definition",
        "number",
        "status",
        "checksum",
        "created_by",
        "created_at",
        "published_by",
        "published_at",
    ]
    fields = [*readonly_fields, "document"]
    form = VersionForm
    inlines = [StateInline, TransitionInline]
    actions = ["validate_versions", "publish_versions", "retire_versions", "export_json"]

    def has_add_permission(self, request) -> bool:
        return False  # versions come from the definition, new_draft or import

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False  # view-only: a published version never changes
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk delete would reach published versions; drafts are deleted one by one.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        # Through the service: canonical form, checksum, rows, and the draft-only rule.
        services.save_draft(
            tenant=obj.tenant, version_id=obj.pk, document=obj.document, user=request.user
        )

    @admin.action(description="Validate the selected versions")
    def validate_versions(self, request, queryset):
        for version in queryset.select_related("definition"):
            problems = validate_document(version.document, tenant=version.tenant)
            if not problems:
                self.message_user(request, f"{version}: valid.", messages.SUCCESS)
                continue
            listed = "; ".join(str(p) for p in problems[:MESSAGE_PROBLEMS])
            more = len(problems) - MESSAGE_PROBLEMS
            suffix = f" (and {more} more)" if more > 0 else ""
            self.message_user(
                request, f"{version}: {len(problems)} problem(s): {listed}{suffix}", messages.ERROR
            )

    @admin.action(description="Publish the selected drafts")
    def publish_versions(self, request, queryset):
        for version in queryset.select_related("definition"):
            self._run(
                request,
                version,
                "published",
                lambda v: services.publish_version(
                    tenant=v.tenant, version_id=v.pk, user=request.user
                ),
            )

    @admin.action(description="Retire the selected published versions")
    def retire_versions(self, request, queryset):
        for version in queryset.select_related("definition"):
            self._run(
                request,
                version,
                "retired",
                lambda v: services.retire_version(
                    tenant=v.tenant, version_id=v.pk, user=request.user
                ),
            )

    def _run(self, request, version, done, call) -> None:
        try:
            call(version)
        except PlatformError as error:
            problems = error.details if isinstance(error.details, list) else []
            listed = "; ".join(
                f"{p['path'] or '(document)'}: {p['message']}" for p in problems[:MESSAGE_PROBLEMS]
            )
            text = f"{version}: {error.message}" + (f" {listed}" if listed else "")
            self.message_user(request, text, messages.ERROR)
        else:
            self.message_user(request, f"{version.definition.key} v{version.number} {done}.")

    @admin.action(description="Export as JSON (one version)")
    def export_json(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version to export.", messages.WARNING)
            return None
        version = queryset.select_related("definition").get()
        text = services.export_version(tenant=version.tenant, version_id=version.pk, fmt="json")
        response = HttpResponse(text, content_type="application/json")
        filename = f"{version.definition.key}-v{version.number}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
