"""Admin of human tasks and their audit trail."""

from django.contrib import admin

from workflow_platform.tenancy.admin_base import TenantAdmin

from .models import HumanTask, TaskActivity


@admin.register(HumanTask)
class HumanTaskAdmin(TenantAdmin):
    list_display = ("id", "title", "status", "group", "assignee", "due_at", "priority")
    list_filter = ("status", "group")
    search_fields = ("title", "state")


@admin.register(TaskActivity)
class TaskActivityAdmin(TenantAdmin):
    list_display = ("at", "task", "user", "action")
    list_filter = ("action",)
    search_fields = ("task__title", "user__username")
    readonly_fields = ("task", "user", "action", "detail", "at")

    def has_add_permission(self, request) -> bool:
        return False  # an audit trail is written by the services only
