"""Admin for action secrets: names and dates only; the value is a write-only field."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from workflow_platform.tenancy.admin_base import TenantAdmin, is_platform_superuser

from .encryption import encrypt
from .models import Secret


class SecretForm(forms.ModelForm):
    # Never rendered back (render_value=False): the admin can replace a value, not read it.
    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        strip=False,
        help_text="Write-only. Leave empty to keep the current value.",
    )

    class Meta:
        model = Secret
        fields = ["tenant", "name", "description"]

    # The editing tenant admin's tenant (set by SecretAdmin.get_form); the tenant field
    # is hidden from them, so the model's unique check cannot see it.
    request_tenant = None

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("value"):
            self.add_error("value", "A new secret needs a value.")
        tenant = self.request_tenant or cleaned.get("tenant")
        name = cleaned.get("name")
        if tenant is not None and name:
            taken = Secret.objects.for_tenant(tenant).filter(name=name)
            if taken.exclude(pk=self.instance.pk).exists():
                self.add_error("name", f"This tenant already has a secret named '{name}'.")
        return cleaned


@admin.register(Secret)
class SecretAdmin(TenantAdmin):
    form = SecretForm
    list_display = ["name", "description", "created_at", "updated_at"]
    list_filter = ["updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["created_at", "updated_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not is_platform_superuser(request):
            form.request_tenant = getattr(request, "tenant", None)
        return form

    def save_model(self, request, obj, form, change):
        value = form.cleaned_data.get("value")
        if value:
            obj.ciphertext = encrypt(value)
        super().save_model(request, obj, form, change)
