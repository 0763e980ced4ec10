"""Dependencies: the external systems a tenant's actions call, with their limits and the
live shared state every worker sees (tokens left, breaker, calls in flight, Retry-After).

Read only here: publishing a definition creates the dependencies it declares, and admins
tune the limits in the admin site (there is no limits-editing service to call yet).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers

from workflow_platform.definitions.models import Dependency
from workflow_platform.engine.limits import DependencyLimits, snapshot
from workflow_platform.engine.limits.selectors import describe_usage

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


@extend_schema_view(
    list=extend_schema(
        summary="List dependencies with their limits and live state", tags=["dependencies"]
    ),
    retrieve=extend_schema(summary="Read a dependency with its live state", tags=["dependencies"]),
)
class DependencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Dependency
    serializer_class = DependencySerializer
    filterset_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["id"]
