"""Admin of the inbox's own rows: the task audit trail and pending live notifications."""

from django.contrib import admin

from workflow_platform.tenancy.admin_base import TenantAdmin

from .models import LiveNotification, TaskActivity


@admin.register(TaskActivity)
class TaskActivityAdmin(TenantAdmin):
    list_display = ("at", "task", "user", "action")
    list_filter = ("action",)
    search_fields = ("task__title", "user__username")
    readonly_fields = ("task", "user", "action", "detail", "at")

    def has_add_permission(self, request) -> bool:
        return False  # an audit trail is written by the services only


@admin.register(LiveNotification)
class LiveNotificationAdmin(TenantAdmin):
    list_display = ("created_at", "__str__")
    readonly_fields = ("groups", "message", "created_at")

    def has_add_permission(self, request) -> bool:
        return False
