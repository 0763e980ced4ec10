"""Dependencies: the external systems a tenant's actions call, with their limits and the
live shared state every worker sees (tokens left, breaker, calls in flight, Retry-After).

Publishing a definition creates the dependencies it declares; designers and admins tune
their limits with PATCH (every worker honours the new limits within seconds). Nothing
else about a dependency changes through the API.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.response import Response

from workflow_platform.definitions.models import Dependency
from workflow_platform.definitions.services import tune_dependency
from workflow_platform.engine.limits import DependencyLimits, snapshot
from workflow_platform.engine.limits.selectors import describe_usage

from .permissions import ReadOnly, TunesDependencies
from .viewsets import TenantViewSet


class LiveStateSerializer(serializers.Serializer):
    backend = serializers.CharField(help_text="redis or database")
    tokens = serializers.FloatField(allow_null=True, help_text="Rate-limit tokens left now.")
    breaker = serializers.ChoiceField(
        choices=["closed", "open", "half_open"], allow_null=True, help_text="None: no breaker."
    )
    failures = serializers.IntegerField(allow_null=True)
    open_until = serializers.DateTimeField(allow_null=True)
    in_flight = serializers.IntegerField(allow_null=True)
    deferred_until = serializers.DateTimeField(
        allow_null=True, help_text="Honouring the dependency's Retry-After until then."
    )
    summary = serializers.CharField()


class DependencySerializer(serializers.ModelSerializer):
    live = serializers.SerializerMethodField()

    class Meta:
        model = Dependency
        fields = [
            "id", "name", "rate_limit_tps", "rate_limit_burst", "breaker_failure_threshold",
            "breaker_recovery_seconds", "concurrency_limit", "created_at", "updated_at", "live",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(LiveStateSerializer)
    def get_live(self, row) -> dict:
        view = snapshot(tenant_id=row.tenant_id, dependency=DependencyLimits.from_model(row))
        live = {key: view.get(key) for key in LiveStateSerializer().fields if key != "summary"}
        live["summary"] = describe_usage(view)
        return LiveStateSerializer(live).data


class DependencyLimitsSerializer(serializers.Serializer):
    """The limits to change; a field left out keeps its value, null or 0 turns it off."""

    rate_limit_tps = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=1_000_000,
        help_text="Calls per second, shared by every worker.",
    )
    rate_limit_burst = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=1_000_000,
        help_text="Calls allowed at once above the rate (needs a rate).",
    )
    breaker_failure_threshold = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=1_000_000,
        help_text="Consecutive failures that open the circuit.",
    )
    breaker_recovery_seconds = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=86_400,
        help_text="How long an open circuit stays open before a trial call.",
    )
    concurrency_limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=1_000_000,
        help_text="Calls in flight at most (bulkhead).",
    )  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List dependencies with their limits and live state",
        description=(
            "Every external system the tenant's actions call, with its declared limits "
            "and `live`: the state all workers share right now (rate-limit tokens left, "
            "breaker state and failures, calls in flight, a Retry-After being honoured)."
        ),
        tags=["dependencies"],
    ),
    retrieve=extend_schema(
        summary="Read a dependency with its live state",
        description=(
            "One dependency with its limits and the live state every worker shares, as in the list."
        ),
        tags=["dependencies"],
    ),
    partial_update=extend_schema(
        summary="Change a dependency's rate limit, burst, breaker or bulkhead (designer)",
        description="Only the fields sent change; null or 0 turns a limit off. Every "
        "worker honours the new limits within about five seconds.",
        tags=["dependencies"],
        request=DependencyLimitsSerializer,
        responses={200: DependencySerializer},
        examples=[
            OpenApiExample(
                "gentler",
                value={"rate_limit_tps": 5, "rate_limit_burst": 10, "concurrency_limit": 4},
                request_only=True,
            )
        ],
    ),
)
class DependencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Dependency
    serializer_class = DependencySerializer
    extra_permissions = (ReadOnly | TunesDependencies,)
    filterset_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["id"]
    http_method_names = ["get", "patch", "head", "options"]

    def partial_update(self, request, *args, **kwargs):
        dependency = self.get_object()
        limits = DependencyLimitsSerializer(data=request.data)
        limits.is_valid(raise_exception=True)
        dependency = tune_dependency(
            tenant=request.tenant, dependency_id=dependency.pk, **limits.validated_data
        )
        return Response(DependencySerializer(dependency).data)
