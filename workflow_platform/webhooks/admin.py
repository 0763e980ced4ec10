"""Admin for webhooks: pause subscriptions, read the delivery log, replay deliveries.

Subscriptions are created through the API (POST /api/webhooks/), which checks the URL
against the SSRF guard and hands out the signing secret once; here they can only be
paused or resumed. The secret is never shown.
"""

from __future__ import annotations

from django.contrib import admin, messages

from workflow_platform.tenancy.admin_base import TenantAdmin

from .models import WebhookDelivery, WebhookSubscription
from .services import replay_delivery


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(TenantAdmin):
    list_display = ["url", "events", "active", "description", "created_at"]
    list_filter = ["active", "created_at"]
    search_fields = ["url", "description"]
    fields = ["url", "events", "description", "active", "created_at"]
    readonly_fields = ["url", "events", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(TenantAdmin):
    list_display = [
        "event", "subscription", "status", "attempts", "last_status_code", "next_attempt_at",
        "created_at",
    ]  # fmt: skip
    list_filter = ["status", "event", "created_at"]
    search_fields = ["event_id", "last_error", "subscription__url"]
    actions = ["replay"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Replay the selected deliveries")
    def replay(self, request, queryset) -> None:
        for delivery in queryset:
            replay_delivery(tenant=delivery.tenant, delivery_id=delivery.pk)
        self.message_user(request, f"Queued {queryset.count()} replays.", messages.SUCCESS)
