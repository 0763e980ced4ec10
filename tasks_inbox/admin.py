"""Admin of the inbox's own rows: pending live notifications."""

from django.contrib import admin

from workflow_platform.tenancy.admin_base import TenantAdmin

from .models import LiveNotification


@admin.register(LiveNotification)
class LiveNotificationAdmin(TenantAdmin):
    list_display = ("created_at", "__str__")
    readonly_fields = ("groups", "message", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
