"""Admin of the engine's rows: view-only pages for platform staff and tenant admins.

Instances, their history, timers and incidents are written by the engine's services
only (an instance is the projection of its append-only history, the audit trail), so
here they can be looked at, never added, changed or deleted (``RecordAdmin``). Operators
retry, cancel, suspend, redrive and migrate through the operations pages and the API.
"""

from django.contrib import admin

from workflow_platform.tenancy.admin_base import RecordAdmin, RecordInline

# The limits package's admin registers DependencyState; admin autodiscovery imports only
# each app's top-level admin module, so without this import it depended on whoever had
# imported it first (once, only a test).
from .limits import admin as limits_admin  # noqa: F401
from .models import HistoryEvent, Incident, Instance, Timer


class HistoryInline(RecordInline):
    model = HistoryEvent
    fields = (
        "seq", "created_at", "type", "from_state", "to_state", "event", "action", "attempt",
        "status", "user", "detail",
    )  # fmt: skip
    readonly_fields = fields
    ordering = ("seq",)


class IncidentInline(RecordInline):
    model = Incident
    fields = ("code", "message", "step", "action", "opened_at", "resolved_at", "resolved_by")
    readonly_fields = fields


@admin.register(Instance)
class InstanceAdmin(RecordAdmin):
    list_display = (
        "id",
        "definition",
        "state",
        "status",
        "business_key",
        "has_incident",
        "created_at",
    )
    list_filter = ("status", "has_incident", "definition")
    list_select_related = ("definition",)
    search_fields = ("business_key", "idempotency_key")
    inlines = [IncidentInline, HistoryInline]


@admin.register(HistoryEvent)
class HistoryEventAdmin(RecordAdmin):
    list_display = ("instance", "seq", "type", "from_state", "to_state", "user", "created_at")
    list_select_related = ("instance", "user")
    list_filter = ("type",)
    search_fields = ("event", "action")


@admin.register(Timer)
class TimerAdmin(RecordAdmin):
    list_display = ("id", "instance", "kind", "due_at", "fired_at", "cancelled_at")
    list_select_related = ("instance",)
    list_filter = ("kind",)
    search_fields = ("key",)


@admin.register(Incident)
class IncidentAdmin(RecordAdmin):
    list_display = ("id", "instance", "code", "state", "opened_at", "resolved_at")
    list_select_related = ("instance",)
    list_filter = ("code",)
    search_fields = ("message",)
