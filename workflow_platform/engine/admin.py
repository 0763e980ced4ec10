"""Admin of the engine's rows: read-mostly views for platform staff and tenant admins."""

from django.contrib import admin

from workflow_platform.tenancy.admin_base import TenantAdmin, TenantInline

# The limits package's admin registers DependencyState; admin autodiscovery imports only
# each app's top-level admin module, so without this import it depended on whoever had
# imported it first (once, only a test).
from .limits import admin as limits_admin  # noqa: F401
from .models import HistoryEvent, Incident, Instance, Timer


class HistoryInline(TenantInline):
    model = HistoryEvent
    fields = ("seq", "type", "from_state", "to_state", "event", "action", "attempt", "status")
    readonly_fields = fields
    can_delete = False
    ordering = ("seq",)


class IncidentInline(TenantInline):
    model = Incident
    fields = ("code", "message", "step", "action", "opened_at", "resolved_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Instance)
class InstanceAdmin(TenantAdmin):
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
    search_fields = ("business_key", "idempotency_key")
    readonly_fields = ("lease_owner", "lease_expires_at", "fence", "seq", "step")
    inlines = [IncidentInline, HistoryInline]


@admin.register(Timer)
class TimerAdmin(TenantAdmin):
    list_display = ("id", "instance", "kind", "due_at", "fired_at", "cancelled_at")
    list_filter = ("kind",)
    search_fields = ("key",)


@admin.register(Incident)
class IncidentAdmin(TenantAdmin):
    list_display = ("id", "instance", "code", "state", "opened_at", "resolved_at")
    list_filter = ("code",)
    search_fields = ("message",)
