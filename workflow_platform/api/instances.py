"""Instances: start (idempotent), list and filter, read, history, events, cancel, retry.

Thin shells over ``engine.services`` and ``engine.selectors``. Starting honours an
``Idempotency-Key`` header: the same key with the same request answers with the
instance the first call started (200 instead of 201), with other data 409. Which of
the two happened is the engine's own answer (`start_or_find_instance`), so of two racing requests
with one key exactly one gets the 201.
"""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from workflow_platform.engine import selectors, services
from workflow_platform.engine.models import HistoryEvent, Instance, Status
from workflow_platform.tenancy.scoping import all_tenants

from . import bulk_starts, examples
from .fields import JsonBooleanField
from .filters import IdFilter, UtcDateTimeFilter, idempotency_key_header
from .instance_events import InstanceEventsMixin
from .instance_queries import InstanceQueriesMixin
from .operations import InstanceRepairsMixin
from .ordering import PlatformOrderingFilter
from .pagination import LongListPagination
from .permissions import HandlesWork, ReadOnly, StartsInstances
from .viewsets import TenantViewSet


class InstanceFilter(django_filters.FilterSet):
    definition = django_filters.CharFilter(
        field_name="definition__key", help_text="Definition key."
    )
    version = IdFilter(field_name="version_id", help_text="Version id.")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    state = django_filters.CharFilter()
    business_key = django_filters.CharFilter(
        lookup_expr="startswith", help_text="Business key prefix."
    )
    has_incident = django_filters.BooleanFilter()
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ended_after = UtcDateTimeFilter(field_name="ended_at", lookup_expr="gte")
    ended_before = UtcDateTimeFilter(field_name="ended_at", lookup_expr="lt")

    class Meta:
        model = Instance
        fields = []


class InstanceSerializer(serializers.ModelSerializer):
    definition = serializers.CharField(source="definition.key", read_only=True)
    version_number = serializers.IntegerField(source="version.number", read_only=True)
    started_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Instance
        fields = [
            "id", "definition", "version", "version_number", "state", "status", "data",
            "business_key", "priority", "step", "has_incident", "last_error", "parent",
            "started_by", "created_at", "updated_at", "ended_at",
        ]  # fmt: skip
        read_only_fields = fields


class StartSerializer(serializers.Serializer):
    definition = serializers.SlugField(
        max_length=100, help_text="Key of a definition with a published version."
    )
    data = serializers.DictField(required=False, default=dict)
    business_key = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    priority = serializers.IntegerField(required=False, default=0, min_value=-1000, max_value=1000)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    compensate = JsonBooleanField(
        required=False,
        default=False,
        help_text="Undo the completed steps first (their compensations, newest first); "
        "the instance then ends `compensated`.",
    )


class HistoryEventSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = HistoryEvent
        fields = [
            "seq", "type", "from_state", "to_state", "status", "step", "event", "action",
            "attempt", "delta", "detail", "user", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class HistoryFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(choices=HistoryEvent.Type.choices)
    after_seq = IdFilter(
        field_name="seq", lookup_expr="gt", min_value=0,
        help_text="Only events after this seq (poll for what is new).",
    )  # fmt: skip
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = HistoryEvent
        fields = []


class RetrySerializer(serializers.Serializer):
    data = serializers.DictField(
        required=False,
        help_text="The instance's corrected data, in full: it replaces the data before the "
        "step runs again. Leave it out to retry with the data as it is.",
    )


class HistoryPagination(LongListPagination):
    ordering = "seq"


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Retry-safe start: the same key returns the same instance (200); reusing "
    "it with other data is a 409.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List instances, filtered by definition, version, status, state, business "
        "key and time",
        description=(
            "The tenant's instances, newest first by default. Filters combine: "
            "`definition` (key), `version` (id), `status`, `state`, `business_key` "
            "(prefix), `has_incident`, and time ranges on creation and end. Data is "
            "included; history is not (see the history operation)."
        ),
        tags=["instances"],
    ),
    retrieve=extend_schema(
        examples=[examples.READ_INSTANCE],
        summary="Read an instance with its data and current state",
        description=(
            "The instance with its data, current state, status, step count, open incident "
            "flag and last error, and the version it is pinned to."
        ),
        tags=["instances"],
    ),
)
class InstanceViewSet(
    InstanceEventsMixin,
    InstanceQueriesMixin,
    InstanceRepairsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    model = Instance
    serializer_class = InstanceSerializer
    extra_permissions = (ReadOnly | HandlesWork,)
    action_permissions = {"create": (StartsInstances,), "bulk": (StartsInstances,)}
    filterset_class = InstanceFilter
    ordering_fields = ["id", "created_at", "updated_at", "priority"]
    ordering = ["-id"]
    problem_statuses = (409, 422)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) and self.action == "history":
            with all_tenants():  # schema generation: the history's filters are on events
                return HistoryEvent.objects.none()
        return super().get_queryset()

    def scoped_queryset(self):
        return selectors.instances_for(self.request.tenant).select_related("started_by")

    @extend_schema(
        summary="Start an instance of a definition's published version (designer, operator)",
        description=(
            "Starts the latest published version of `definition` with `data`; the "
            "instance enters its initial state in this request and a worker takes it on "
            "from there. With an `Idempotency-Key` a retry is safe: the same key and body "
            "answer 200 with the instance the first request started, other data with the "
            "same key is a 409. 404 when nothing of that key is published."
        ),
        tags=["instances"],
        parameters=[IDEMPOTENCY_KEY],
        request=StartSerializer,
        responses={
            201: InstanceSerializer,
            200: OpenApiResponse(InstanceSerializer, description="Replayed Idempotency-Key."),
        },
        examples=[
            examples.STARTED,
            examples.REPLAYED,
            OpenApiExample(
                "expense",
                value={
                    "definition": "expense-approval",
                    "data": {"amount": 120, "employee": "ada"},
                    "business_key": "expense-2026-0042",
                },
                request_only=True,
            ),
        ],
    )
    def create(self, request, *args, **kwargs):
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_key_header(request) or None
        instance, created = services.start_or_find_instance(
            tenant=request.tenant,
            definition_key=data.validated_data["definition"],
            data=data.validated_data["data"],
            idempotency_key=key,
            business_key=data.validated_data["business_key"],
            priority=data.validated_data["priority"],
            user=request.user,
        )
        # Found, not created: a retry, or the loser of a race for the same key. A new
        # instance is answered as written (its version and definition came loaded).
        replayed = not created
        if replayed:
            instance = selectors.instance_detail(request.tenant, instance.pk)
        return Response(
            InstanceSerializer(instance).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
            headers={"Location": f"/api/instances/{instance.pk}/"},
        )

    @bulk_starts.BULK_START_SCHEMA
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        return bulk_starts.start_many(request)

    @extend_schema(
        summary="The instance's history, oldest first",
        description="Every fact the engine recorded about the instance, in `seq` order "
        "(gapless from 1): start, each transition with its data delta, waits, retries, "
        "incidents and operator actions. Filter by `type`, time, or `after_seq` to read "
        "only what is new since the last event you saw.",
        tags=["instances"],
        responses={200: HistoryEventSerializer(many=True)},
    )
    @action(
        detail=True, methods=["get"], pagination_class=HistoryPagination,
        filter_backends=[DjangoFilterBackend, PlatformOrderingFilter],
        filterset_class=HistoryFilter, ordering_fields=["seq", "created_at"], ordering=["seq"],
    )  # fmt: skip
    def history(self, request, pk=None):
        # Looked up without the action's filters: they are the history's, not the instance's.
        instance = get_object_or_404(self.get_queryset(), pk=pk)
        events = selectors.history_of(request.tenant, instance.pk).select_related("user")
        page = self.paginate_queryset(self.filter_queryset(events))
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)

    @extend_schema(
        summary="Cancel the instance, optionally undoing its completed steps (operator)",
        description=(
            "The instance ends `cancelled`: its open human tasks and timers close, and a "
            "worker in the middle of an action cannot commit it. With `compensate: true` "
            "the completed steps are undone first: the instance turns `compensating` in "
            "this request, a worker runs their compensations newest first, and it ends "
            "`compensated` (just `cancelled` when no completed step has a compensation). "
            "An instance that already ended is a 409 (`instance_ended`), one compensating "
            "already too (`instance_compensating`)."
        ),
        tags=["instances"],
        request=CancelSerializer,
        responses={200: InstanceSerializer},
        examples=[
            OpenApiExample("duplicate", value={"reason": "Started twice."}, request_only=True),
            OpenApiExample(
                "undo the completed steps",
                value={"compensate": True, "reason": "Withdrawn by the applicant."},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        instance = self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.cancel_instance(
            tenant=request.tenant, instance_id=instance.pk, user=request.user,
            reason=data.validated_data["reason"],
            compensate=data.validated_data["compensate"],
        )  # fmt: skip
        return Response(self._fresh(instance.pk))

    @extend_schema(
        summary="Retry the failed step of an instance with an open incident, its data "
        "corrected first if given (operator)",
        description=(
            "Runs the step that failed for good again, from attempt 1 and with its same "
            "idempotency key, and resolves the incident. With `data` the instance's data "
            "is replaced by it first, in the same commit: checked like the data of a start "
            "(a JSON object, nested at most 64 deep, whole numbers within ±2^53-1, no NUL "
            "character); data that fails is a 400 and changes nothing. The history event "
            "`incident_retried` records who retried, the data delta and the old and new "
            "value of each changed key (`detail.data.before` / `.after`). An instance "
            "without an open incident is a 409 (`no_open_incident`)."
        ),
        tags=["instances"],
        request=RetrySerializer,
        responses={200: InstanceSerializer},
        examples=[
            OpenApiExample(
                "corrected card",
                value={"data": {"order_id": "A-17", "card": "4242"}},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        instance = self.get_object()
        body = RetrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.retry_incident(
            tenant=request.tenant, instance_id=instance.pk, user=request.user,
            data=body.validated_data.get("data"),
        )  # fmt: skip
        return Response(self._fresh(instance.pk))

    def _fresh(self, instance_id: int) -> dict:
        return InstanceSerializer(selectors.instance_detail(self.request.tenant, instance_id)).data
