"""Webhook subscriptions and their delivery log, for tenant admins."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from workflow_platform.webhooks import services
from workflow_platform.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

from .filters import IdFilter
from .permissions import ManagesTenant
from .viewsets import TenantViewSet


class WebhookDeliveryFilter(django_filters.FilterSet):
    subscription = IdFilter(field_name="subscription_id", help_text="Subscription id.")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event = django_filters.ChoiceFilter(choices=WebhookEvent.choices)
    event_id = django_filters.UUIDFilter(help_text="The event's id (webhook-id).")

    class Meta:
        model = WebhookDelivery
        fields = []


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), min_length=1, max_length=10
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "description", "active", "created_at"]
        read_only_fields = ["id", "created_at"]


class CreatedWebhookSubscriptionSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The Standard Webhooks signing secret (`whsec_` + base64 of 32 bytes); "
        "shown only in this response.",
    )

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "subscription", "event_id", "event", "payload", "status", "attempts",
            "next_attempt_at", "last_status_code", "last_error", "replay_of", "created_at",
            "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields


_SUBSCRIBE_EXAMPLE = OpenApiExample(
    "instance ends",
    value={
        "url": "https://hooks.example.com/workflow-island",
        "events": ["instance.completed", "instance.failed"],
        "description": "billing system",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions (admin)",
        description=(
            "The tenant's webhook subscriptions, without their secrets. Filter by `active`."
        ),
        tags=["webhooks"],
    ),
    retrieve=extend_schema(
        summary="Read a webhook subscription (admin)",
        description=("One subscription of your tenant, without its secret."),
        tags=["webhooks"],
    ),
    create=extend_schema(
        summary="Subscribe a URL to events; the signing secret is in this response only",
        description=(
            "Every matching event is POSTed to `url`, signed the Standard Webhooks way "
            "with the `secret` in this response (never shown again). A URL that resolves "
            "to a private, loopback or link-local address is a 400 unless the tenant "
            "allows the private network."
        ),
        tags=["webhooks"],
        request=WebhookSubscriptionSerializer,
        responses={201: CreatedWebhookSubscriptionSerializer},
        examples=[_SUBSCRIBE_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change a subscription's URL, events or description, or pause it",
        description=(
            "Only the fields sent change; `active: false` pauses deliveries (pending ones "
            "give up), `true` resumes. A new URL passes the same address check as at "
            "subscription."
        ),
        tags=["webhooks"],
        examples=[OpenApiExample("pause", value={"active": False}, request_only=True)],
    ),
    destroy=extend_schema(
        summary="Delete a subscription and its log",
        description=("The subscription and its delivery log go; pending deliveries are not sent."),
        tags=["webhooks"],
    ),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = WebhookSubscription
    serializer_class = WebhookSubscriptionSerializer
    extra_permissions = (ManagesTenant,)
    filterset_fields = ["active"]
    ordering_fields = ["id", "created_at"]
    ordering = ["-id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = services.subscribe(tenant=request.tenant, **data.validated_data)
        subscription.secret = secret
        body = CreatedWebhookSubscriptionSerializer(subscription).data
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        data = self.get_serializer(subscription, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = services.change_subscription(
            tenant=request.tenant, subscription_id=subscription.pk, **data.validated_data
        )
        return Response(self.get_serializer(subscription).data)


@extend_schema_view(
    list=extend_schema(
        summary="The webhook delivery log (admin)",
        description=(
            "Every delivery attempt record, newest first by default: its event, status, "
            "attempts, next attempt time and last error. Filter by `subscription`, "
            "`status`, `event` or `event_id`."
        ),
        tags=["webhooks"],
    ),
    retrieve=extend_schema(
        summary="Read one delivery (admin)",
        description=("One delivery with its payload as sent and its last outcome."),
        tags=["webhooks"],
    ),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = WebhookDelivery
    serializer_class = WebhookDeliverySerializer
    extra_permissions = (ManagesTenant,)
    filterset_class = WebhookDeliveryFilter
    ordering_fields = ["id", "created_at", "next_attempt_at"]
    ordering = ["-id"]

    @extend_schema(
        summary="Deliver this delivery's event again (same event id)",
        description=(
            "Queues a new delivery of the same event (same `webhook-id`, so receivers can "
            "deduplicate) with a fresh attempt budget; the answer is that new delivery, "
            "pending."
        ),
        tags=["webhooks"],
        request=None,
        responses={202: WebhookDeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        delivery = self.get_object()
        replay = services.replay_delivery(tenant=request.tenant, delivery_id=delivery.pk)
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
