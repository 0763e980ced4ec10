"""Admin views of the shared limits: the embedded mode's state rows, and live usage.

``DependencyStateAdmin`` lists the database backend's rows (empty when the state is in
Redis), view-only: workers write them as they call dependencies. The admin of tenant
dependencies (``definitions.Dependency``) is registered here, above the definitions,
because it shows each one's live "Limit usage", read through ``limits.snapshot``
whichever backend holds it.
"""

from __future__ import annotations

import time

from django.contrib import admin
from django.utils.html import format_html

from workflow_platform.definitions.models import Dependency
from workflow_platform.tenancy.admin_base import RecordAdmin, TenantAdmin

from . import DependencyLimits, snapshot
from .models import DependencyState
from .selectors import describe_usage


class DependencyUsageAdminMixin:
    """Mix into the admin of ``definitions.Dependency`` rows to show their live usage."""

    @admin.display(description="Limit usage")
    def limit_usage(self, obj) -> str:
        if obj.pk is None:
            return "-"
        try:
            view = snapshot(tenant_id=obj.tenant_id, dependency=DependencyLimits.from_model(obj))
        except Exception as error:  # the admin page must render even if Redis is down
            return format_html("<em>unavailable: {}</em>", error)
        return describe_usage(view)


@admin.register(DependencyState)
class DependencyStateAdmin(RecordAdmin):
    list_display = (
        "dependency", "breaker", "failures", "open_until", "tokens", "slots_in_flight",
        "deferred_until", "updated_at",
    )  # fmt: skip
    list_filter = ("breaker",)
    search_fields = ("dependency",)

    @admin.display(description="In flight")
    def slots_in_flight(self, obj: DependencyState) -> int:
        now = time.time()  # expired slots belong to killed workers: not in flight
        return sum(1 for expiry in (obj.slots or {}).values() if expiry > now)


@admin.register(Dependency)
class DependencyAdmin(DependencyUsageAdminMixin, TenantAdmin):
    list_display = [
        "name",
        "rate_limit_tps",
        "rate_limit_burst",
        "breaker_failure_threshold",
        "breaker_recovery_seconds",
        "concurrency_limit",
        "limit_usage",
        "updated_at",
    ]
    list_filter = ["updated_at"]
    search_fields = ["name"]
    readonly_fields = ["limit_usage", "created_at", "updated_at"]
