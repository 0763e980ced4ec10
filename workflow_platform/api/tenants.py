"""Tenants as the platform's operator sees them: what only a platform superuser decides.

Not a tenant's own resource: a tenant admin manages members, groups and tokens
(members.py), while whether a tenant's HTTP actions and webhooks may reach private and
loopback networks is the platform's decision (it opens the platform's own network to the
tenant's workflows). Every request here needs a platform superuser, checked before any
lookup, so anyone else gets the same 403 for every slug, existing or not. A token still
reaches nothing once its member has left its tenant. Tenants are named by slug.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from workflow_platform.tenancy.models import ChangedVia, Tenant, TenantSettingChange
from workflow_platform.tenancy.services import set_private_network

from .fields import JsonBooleanField
from .ordering import PlatformOrderingFilter
from .pagination import PlatformCursorPagination
from .permissions import IsPlatformSuperuser
from .tenancy import TenantScopedAPIMixin


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["slug", "name", "allow_private_network", "created_at"]
        read_only_fields = fields


class TenantUpdateSerializer(serializers.Serializer):
    allow_private_network = JsonBooleanField(
        required=False,
        help_text="Let the tenant's HTTP actions and webhooks call private and loopback addresses.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500,
        help_text="Why; kept in the audit trail.",
    )  # fmt: skip

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Not something this endpoint changes."] for name in unknown}
            )
        return attrs


class TenantSettingChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = TenantSettingChange
        fields = ["setting", "old_value", "new_value", "actor", "via", "reason", "created_at"]
        read_only_fields = fields


class ChangesPagination(PlatformCursorPagination):
    ordering = "-id"


@extend_schema_view(
    list=extend_schema(
        summary="List every tenant (platform superuser)",
        description=(
            "All tenants of the platform with their platform-level settings. Only a "
            "platform superuser may; anyone else, a tenant admin included, gets a 403."
        ),
        tags=["platform"],
    ),
    retrieve=extend_schema(
        summary="Read a tenant by slug (platform superuser)",
        description="One tenant with its platform-level settings (403 for anyone else).",
        tags=["platform"],
    ),
    partial_update=extend_schema(
        summary="Allow or deny a tenant's private network (platform superuser)",
        description=(
            "`allow_private_network: true` lets the tenant's HTTP actions and webhooks "
            "call private, loopback and link-local addresses; `false` refuses them again "
            "(the default). Workers apply it from their next call. Each change is "
            "audited (who, when, old and new, `reason`; see the changes operation); "
            "sending the value it has records nothing. `allow_private_network` must be "
            "a JSON boolean and is the only setting changed here (another field is a "
            "400); without it nothing changes. Only a platform superuser may; anyone "
            "else gets a 403."
        ),
        tags=["platform"],
        request=TenantUpdateSerializer,
        responses={200: TenantSerializer},
        examples=[
            OpenApiExample(
                "allow",
                value={"allow_private_network": True, "reason": "Calls the on-site ERP."},
                request_only=True,
            ),
        ],
    ),
)
class PlatformTenantViewSet(
    TenantScopedAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Tenant.objects.all()
    serializer_class = TenantSerializer
    permission_classes = [IsAuthenticated, IsPlatformSuperuser]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [PlatformOrderingFilter]
    ordering_fields = ["slug", "created_at"]
    ordering = ["slug"]
    http_method_names = ["get", "patch", "head", "options"]

    def partial_update(self, request, *args, **kwargs):
        tenant = self.get_object()
        data = TenantUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "allow_private_network" in data.validated_data:  # PATCH: only what is sent
            tenant, _ = set_private_network(
                tenant=tenant,
                allow=data.validated_data["allow_private_network"],
                by=request.user,
                via=ChangedVia.API,
                reason=data.validated_data["reason"],
            )
        return Response(TenantSerializer(tenant).data)

    @extend_schema(
        summary="The audit trail of a tenant's platform settings (platform superuser)",
        description=(
            "Every change of a platform-level setting of the tenant, newest first: which "
            "setting, old and new value, who (`actor`), through what (`via`: `api`, "
            "`command`, `admin`), why and when."
        ),
        tags=["platform"],
        responses={200: TenantSettingChangeSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=ChangesPagination)
    def changes(self, request, slug=None):
        tenant = self.get_object()
        page = self.paginate_queryset(TenantSettingChange.objects.for_tenant(tenant))
        return self.get_paginated_response(TenantSettingChangeSerializer(page, many=True).data)
