"""Tenant administration: members, operator groups and API tokens.

Every member may read who is in the tenant and its groups (the inbox needs them); only
admins change them and manage API tokens. Adding a member who is one already is a 409
(PATCH changes a member); the tenant's last admin can be neither demoted nor removed
(409). A created token's secret is returned once, in the response to its creation, and
never again (only its hash is stored). Users are named by username: for groups and
tokens they must be members of the tenant; to be added as a member, a user must belong
to no other tenant (``tenancy.membership_services``), so nobody learns who works where.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from workflow_platform.errors import NotFound
from workflow_platform.tenancy import membership_services
from workflow_platform.tenancy.models import ApiToken, Membership, OperatorGroup, Role
from workflow_platform.tenancy.services import add_to_group, issue_api_token, revoke_api_token
from workflow_platform.worklist import members as worklist_members

from .permissions import ManagesTenant, ReadOnly
from .viewsets import TenantViewSet


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
    list=extend_schema(
        summary="List the tenant's members",
        description=(
            "Everyone in the tenant with their role, routing skills, availability and "
            "groups; any member may read it. Filter by `role`."
        ),
        tags=["tenant"],
    ),
    retrieve=extend_schema(
        summary="Read a member",
        description=("One member of your tenant with role, skills, availability and groups."),
        tags=["tenant"],
    ),
    create=extend_schema(
        summary="Add a user to the tenant (admin); 409 if they are a member already",
        description=(
            "Adds an existing user account, by username, with a role and optional routing "
            "skills. The user must belong to no other tenant: a user of another tenant is "
            "as unknown as a name that does not exist (400). A member already is a 409; "
            "change them with PATCH."
        ),
        tags=["tenant"],
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer},
        examples=[
            OpenApiExample("operator", value={"username": "ada", "role": "operator"}),
        ],
    ),
    partial_update=extend_schema(
        summary="Change a member's role or skills (admin); the last admin stays an admin",
        description=(
            "Only the fields sent change. Demoting the tenant's last admin is a 409 "
            "(`last_admin`): make someone else an admin first."
        ),
        tags=["tenant"],
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer},
        examples=[
            OpenApiExample(
                "promote", value={"role": "designer", "skills": ["billing"]}, request_only=True
            )
        ],
    ),
    destroy=extend_schema(
        summary="Remove a member from the tenant (admin)",
        description="Takes them out of the tenant's groups and revokes their API tokens "
        "here. Refused with 409 for the tenant's last admin and for a member who still "
        "holds open human tasks (reassign them first).",
        tags=["tenant"],
        responses={204: None},
    ),
)
class MembershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Membership
    serializer_class = MembershipSerializer
    extra_permissions = (ReadOnly | ManagesTenant,)
    filterset_fields = ["role"]
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    problem_statuses = (409,)

    def scoped_queryset(self):
        return Membership.objects.select_related("user").prefetch_related("user__operator_groups")

    def create(self, request, *args, **kwargs):
        data = MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_services.add_new_member(
            tenant=request.tenant,
            user=membership_services.joinable_user(
                tenant=request.tenant, username=data.validated_data["username"]
            ),
            role=data.validated_data["role"],
            skills=data.validated_data.get("skills"),
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership_services.change_member(
            tenant=request.tenant, membership_id=membership.pk, **data.validated_data
        )
        return Response(MembershipSerializer(self.scoped_queryset().get(pk=membership.pk)).data)

    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        worklist_members.remove_member(tenant=request.tenant, membership_id=membership.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300
    )
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=1, max_length=500
    )


@extend_schema_view(
    list=extend_schema(
        summary="List operator groups",
        description=(
            "The tenant's operator groups with their members; any member may read them "
            "(human tasks are routed to groups by name). Filter by `name`."
        ),
        tags=["tenant"],
    ),
    retrieve=extend_schema(
        summary="Read an operator group",
        description=("One operator group of your tenant with its members."),
        tags=["tenant"],
    ),
    create=extend_schema(
        summary="Create an operator group with its first members (admin)",
        description="All or nothing: a name that is not a member of the tenant creates "
        "nothing (400); a name already taken is a 409.",
        tags=["tenant"],
        request=GroupCreateSerializer,
        responses={201: OperatorGroupSerializer},
        examples=[OpenApiExample("reviewers", value={"name": "reviewers", "members": ["ada"]})],
    ),
    destroy=extend_schema(
        summary="Delete an operator group (admin); 409 while open tasks are assigned to it",
        description=(
            "The group goes; its members stay in the tenant. Refused with 409 "
            "(`group_has_open_tasks`) while open or claimed human tasks are assigned to "
            "it: reassign them first."
        ),
        tags=["tenant"],
        responses={204: None},
    ),
)
class OperatorGroupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = OperatorGroup
    serializer_class = OperatorGroupSerializer
    extra_permissions = (ReadOnly | ManagesTenant,)
    filterset_fields = ["name"]
    ordering_fields = ["id", "name"]
    ordering = ["id"]
    problem_statuses = (409,)

    def scoped_queryset(self):
        return OperatorGroup.objects.prefetch_related("members")

    def create(self, request, *args, **kwargs):
        data = GroupCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = membership_services.create_group(
            tenant=request.tenant,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            members=[
                membership_services.member_named(tenant=request.tenant, username=name)
                for name in data.validated_data["members"]
            ],
        )
        return Response(OperatorGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        worklist_members.delete_group(tenant=request.tenant, group_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a member of the tenant to the group (admin)",
        description=(
            "The user must be a member of the tenant (400 otherwise); adding someone who "
            "is in the group already changes nothing."
        ),
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
        add_to_group(
            tenant=request.tenant,
            group_name=group.name,
            user=membership_services.member_named(
                tenant=request.tenant, username=data.validated_data["username"]
            ),
        )
        return Response(OperatorGroupSerializer(self.scoped_queryset().get(pk=group.pk)).data)

    @extend_schema(
        summary="Take a member out of the group (admin)",
        description="The user stays a member of the tenant; tasks already assigned to "
        "them stay theirs. 404 when the user is not in the group.",
        tags=["tenant"],
        request=None,
        responses={200: OperatorGroupSerializer},
    )
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<username>[^/]+)")
    def remove_member(self, request, pk=None, username=None):
        group = self.get_object()
        user = group.members.filter(username=username).first()
        if user is None:
            raise NotFound("not_in_group", f"'{username}' is not in the group '{group.name}'.")
        membership_services.remove_from_group(tenant=request.tenant, group_id=group.pk, user=user)
        return Response(OperatorGroupSerializer(self.scoped_queryset().get(pk=group.pk)).data)


class ApiTokenFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(field_name="user__username", help_text="Acts for.")
    name = django_filters.CharFilter(lookup_expr="istartswith", help_text="Name prefix.")
    active = django_filters.BooleanFilter(
        method="filter_active", help_text="Neither revoked nor expired."
    )

    class Meta:
        model = ApiToken
        fields = []

    def filter_active(self, queryset, name, value):
        live = Q(revoked_at__isnull=True, expires_at__gt=timezone.now())
        return queryset.filter(live) if value else queryset.exclude(live)


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
    list=extend_schema(
        summary="List the tenant's API tokens (admin)",
        description=(
            "Every API token of the tenant, without secrets: who it acts for, its prefix, "
            "expiry, revocation and last use. Filter by `username`, `name` or `active`."
        ),
        tags=["tenant"],
    ),
    retrieve=extend_schema(
        summary="Read an API token (admin)",
        description=("One token of your tenant, without its secret (only its hash is stored)."),
        tags=["tenant"],
    ),
    create=extend_schema(
        summary="Issue an API token; its secret is in this response only (admin)",
        description=(
            "Issues a bearer token for `username` (a member of the tenant; default: you), "
            "expiring at `expires_at` (default: in 90 days). The secret (`token`) is in "
            "this response and never again."
        ),
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
    filterset_class = ApiTokenFilter
    ordering_fields = ["id", "name", "created_at", "expires_at"]
    ordering = ["-id"]

    def scoped_queryset(self):
        return ApiToken.objects.select_related("user")

    def create(self, request, *args, **kwargs):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data.get("username")
        token, raw = issue_api_token(
            tenant=request.tenant,
            user=membership_services.member_named(tenant=request.tenant, username=username)
            if username
            else request.user,
            name=data.validated_data["name"],
            expires_at=data.validated_data.get("expires_at"),
        )
        token.token = raw
        return Response(IssuedApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an API token (admin); revoking twice is harmless",
        description=(
            "The token stops working at once (401 from then on). Revoking a revoked token "
            "changes nothing and answers the same."
        ),
        tags=["tenant"],
        request=None,
        responses={200: ApiTokenSerializer},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        token = revoke_api_token(tenant=request.tenant, token_id=token.pk)
        return Response(ApiTokenSerializer(token).data)
