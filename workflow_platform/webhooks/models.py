"""Webhook subscriptions and their delivery log.

A tenant subscribes a URL to event types; every matching event becomes a
:class:`WebhookDelivery` row in the same transaction as the change that caused it, so a
crash never loses one. The delivery sweep (delivery.py) posts it, signed with
the subscription's secret, and retries with backoff until it is delivered or gives up.
A delivery can be replayed: a new row with the same event.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from workflow_platform.tenancy.models import TenantOwned


class WebhookEvent(models.TextChoices):
    INSTANCE_COMPLETED = "instance.completed", "Instance completed"
    INSTANCE_FAILED = "instance.failed", "Instance failed"
    INSTANCE_INCIDENT = "instance.incident", "Incident opened on an instance"
    TASK_CREATED = "task.created", "Human task created"
    TASK_SLA_BREACHED = "task.sla_breached", "Human task past its due time (escalated)"


class WebhookSubscription(TenantOwned):
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types (WebhookEvent values).")
    description = models.CharField(max_length=200, blank=True)
    # The signing secret, encrypted at rest (actions/encryption.py); shown once.
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The tables keep the names they had in the API app (state-only migration).
        db_table = "api_webhooksubscription"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(TenantOwned):
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The event's id: the same for a replay, so receivers can drop duplicates.
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The W3C ``traceparent`` of the instance the event is about (empty when tracing was
    # off): its delivery joins that instance's trace and sends it on to the receiver.
    trace_context = models.CharField(max_length=55, blank=True, default="")

    class Meta:
        db_table = "api_webhookdelivery"
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription_id} ({self.status})"
