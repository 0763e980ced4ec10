"""Admin of human tasks and their audit trail: view-only.

Tasks are opened, claimed, routed and decided by the worklist's services (which check
the form, fire the decision's event and write the audit trail together); a hand edit
would skip all of that, so here they can only be looked at (``RecordAdmin``).
"""

from django.contrib import admin

from workflow_platform.tenancy.admin_base import RecordAdmin

from .models import HumanTask, TaskActivity


@admin.register(HumanTask)
class HumanTaskAdmin(RecordAdmin):
    list_display = ("id", "title", "status", "group", "assignee", "due_at", "priority")
    list_filter = ("status", "group")
    search_fields = ("title", "state")


@admin.register(TaskActivity)
class TaskActivityAdmin(RecordAdmin):
    list_display = ("at", "task", "user", "action")
    list_filter = ("action",)
    search_fields = ("task__title", "user__username")
