"""Tenant administration: members, operator groups and API tokens.

Every member may read who is in the tenant and its groups (the inbox needs them); only
admins change them and manage API tokens. A created token's secret is returned once, in
the response to its creation, and never again (only its hash is stored).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from workflow_platform.errors import InvalidInput
from workflow_platform.tenancy.models import ApiToken, Membership, OperatorGroup, Role
from workflow_platform.tenancy.services import (
    add_member,
    add_to_group,
    issue_api_token,
    revoke_api_token,
)

from .permissions import ManagesTenant, ReadOnly
from .viewsets import TenantViewSet


def _user_named(username: str):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise InvalidInput("unknown_user", f"There is no active user '{username}'.")
    return user


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    groups = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "username", "role", "skills", "away_until", "groups", "created_at"]
        read_only_fields = ["id", "away_until", "created_at"]

    def get_groups(self, membership) -> list[str]:
        return sorted(g.name for g in membership.user.operator_groups.all())


class MembershipCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    skills = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    skills = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )


@extend_schema_view(
    list=extend_schema(summary="List the tenant's members", tags=["tenant"]),
    retrieve=extend_schema(summary="Read a member", tags=["tenant"]),
    create=extend_schema(
        summary="Add a user to the tenant (admin)",
        tags=["tenant"],
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer},
        examples=[
            OpenApiExample("operator", value={"username": "ada", "role": "operator"}),
        ],
    ),
    partial_update=extend_schema(
        summary="Change a member's role or skills (admin)",
        tags=["tenant"],
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer},
        examples=[
            OpenApiExample(
                "promote", value={"role": "designer", "skills": ["billing"]}, request_only=True
            )
        ],
    ),
)
class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    model = Membership
    serializer_class = MembershipSerializer
    extra_permissions = (ReadOnly | ManagesTenant,)
    filterset_fields = ["role"]
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return Membership.objects.select_related("user").prefetch_related("user__operator_groups")

    def create(self, request, *args, **kwargs):
        data = MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = add_member(
            tenant=request.tenant,
            user=_user_named(data.validated_data["username"]),
            role=data.validated_data["role"],
            skills=data.validated_data.get("skills"),
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = add_member(
            tenant=request.tenant,
            user=membership.user,
            role=data.validated_data.get("role", membership.role),
            skills=data.validated_data.get("skills", membership.skills),
        )
        return Response(MembershipSerializer(membership).data)


class OperatorGroupSerializer(serializers.ModelSerializer):
    members = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)

    class Meta:
        model = OperatorGroup
        fields = ["id", "name", "description", "members"]
        read_only_fields = fields


class GroupMemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class GroupCreateSerializer(serializers.Serializer):
    name = serializers.RegexField(r"^[A-Za-z0-9_.-]+$", max_length=100)
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=1, max_length=500
    )


@extend_schema_view(
    list=extend_schema(summary="List operator groups", tags=["tenant"]),
    retrieve=extend_schema(summary="Read an operator group", tags=["tenant"]),
    create=extend_schema(
        summary="Create an operator group with its first members (admin)",
        tags=["tenant"],
        request=GroupCreateSerializer,
        responses={201: OperatorGroupSerializer},
        examples=[OpenApiExample("reviewers", value={"name": "reviewers", "members": ["ada"]})],
    ),
)
class OperatorGroupViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    model = OperatorGroup
    serializer_class = OperatorGroupSerializer
    extra_permissions = (ReadOnly | ManagesTenant,)
    filterset_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["id"]

    def scoped_queryset(self):
        return OperatorGroup.objects.prefetch_related("members")

    def create(self, request, *args, **kwargs):
        data = GroupCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        users = [_user_named(name) for name in data.validated_data["members"]]
        for user in users:
            group = add_to_group(
                tenant=request.tenant, group_name=data.validated_data["name"], user=user
            )
        return Response(OperatorGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add a member of the tenant to the group (admin)",
        tags=["tenant"],
        request=GroupMemberSerializer,
        responses={200: OperatorGroupSerializer},
        examples=[OpenApiExample("ada", value={"username": "ada"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        group = self.get_object()
        data = GroupMemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = add_to_group(
            tenant=request.tenant,
            group_name=group.name,
            user=_user_named(data.validated_data["username"]),
        )
        return Response(OperatorGroupSerializer(group).data)


class ApiTokenSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id", "name", "username", "prefix", "created_at", "expires_at", "revoked_at",
            "last_used_at", "active",
        ]  # fmt: skip
        read_only_fields = fields

    def get_active(self, token) -> bool:
        return token.is_active()


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    username = serializers.CharField(
        max_length=150, required=False, help_text="The member it acts for (default: you)."
    )
    expires_at = serializers.DateTimeField(required=False, help_text="Default: in 90 days.")


class IssuedApiTokenSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret; shown only once.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="List the tenant's API tokens (admin)", tags=["tenant"]),
    retrieve=extend_schema(summary="Read an API token (admin)", tags=["tenant"]),
    create=extend_schema(
        summary="Issue an API token; its secret is in this response only (admin)",
        tags=["tenant"],
        request=ApiTokenCreateSerializer,
        responses={201: IssuedApiTokenSerializer},
        examples=[OpenApiExample("ci", value={"name": "ci", "username": "ada"})],
    ),
)
class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    model = ApiToken
    serializer_class = ApiTokenSerializer
    extra_permissions = (ManagesTenant,)
    ordering_fields = ["id", "created_at", "expires_at"]
    ordering = ["-id"]

    def scoped_queryset(self):
        return ApiToken.objects.select_related("user")

    def create(self, request, *args, **kwargs):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data.get("username")
        token, raw = issue_api_token(
            tenant=request.tenant,
            user=_user_named(username) if username else request.user,
            name=data.validated_data["name"],
            expires_at=data.validated_data.get("expires_at"),
        )
        token.token = raw
        return Response(IssuedApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an API token (admin); revoking twice is harmless",
        tags=["tenant"],
        request=None,
        responses={200: ApiTokenSerializer},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        token = revoke_api_token(tenant=request.tenant, token_id=token.pk)
        return Response(ApiTokenSerializer(token).data)
