"""Human tasks: list mine / my groups' / unassigned, read, claim, release, complete, reassign.

Thin shells over the worklist (its selectors decide what an operator sees, its
services enforce who may act and the optimistic concurrency on ``revision``). A task's
``ETag`` is its revision: send it as ``If-Match`` and an action on a task that changed
meanwhile is refused with 409 instead of acting on what you did not see.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from workflow_platform.worklist import selectors as worklist
from workflow_platform.worklist import services as worklist_services
from workflow_platform.worklist.models import HumanTask

from . import examples
from .numbers import whole_number
from .ordering import PlatformOrderingFilter
from .permissions import HandlesTasks, ReadOnly
from .viewsets import TenantViewSet


class HumanTaskSerializer(serializers.ModelSerializer):
    definition = serializers.CharField(source="instance.definition.key", read_only=True)
    group = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    completed_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = HumanTask
        fields = [
            "id", "instance", "definition", "state", "title", "form", "decisions", "status",
            "priority", "group", "assignee", "due_at", "escalated_at", "snoozed_until",
            "routing_reason", "created_at", "claimed_at", "completed_at", "completed_by",
            "decision", "decision_data", "revision",
        ]  # fmt: skip
        read_only_fields = fields


class TaskQuerySerializer(serializers.Serializer):
    view = serializers.ChoiceField(
        choices=worklist.VIEWS,
        default="all",
        help_text="mine: assigned to you; groups: your groups'; unassigned; all you may see.",
    )
    workflow = serializers.CharField(required=False, default="", help_text="Definition key.")
    state = serializers.CharField(required=False, default="")
    group = serializers.CharField(required=False, default="", help_text="Group name.")
    overdue = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(required=False, default="", help_text="Search title and data.")
    include_closed = serializers.BooleanField(
        required=False, default=False, help_text="Also completed and cancelled tasks."
    )
    include_snoozed = serializers.BooleanField(
        required=False, default=False, help_text="Also tasks snoozed until later."
    )


class CompleteSerializer(serializers.Serializer):
    decision = serializers.CharField(max_length=100, help_text="One of the task's decisions.")
    data = serializers.DictField(
        required=False, default=dict, help_text="Validated against the task's form."
    )


class ReassignSerializer(serializers.Serializer):
    group = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    username = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The task's ETag (its revision); a task changed since is a 409. Optional; "
    "`*` matches any revision.",
)


class HumanTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = HumanTask
    serializer_class = HumanTaskSerializer
    extra_permissions = (ReadOnly | HandlesTasks,)
    filter_backends = [PlatformOrderingFilter]  # the inbox's own query parameters filter
    ordering_fields = ["id", "created_at", "priority"]
    ordering = ["-priority", "id"]
    problem_statuses = (409, 422)

    def scoped_queryset(self):
        tenant, user = self.request.tenant, self.request.user
        admin = worklist.is_admin(self.request.membership)
        if self.action != "list":
            return worklist.visible_tasks(tenant, user, admin=admin)
        query = TaskQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        return worklist.inbox_tasks(
            tenant, user, admin=admin, view=params["view"], workflow=params["workflow"],
            state=params["state"], group=params["group"], overdue=params["overdue"],
            query=params["q"], include_closed=params["include_closed"],
            include_snoozed=params["include_snoozed"],
        )  # fmt: skip

    @extend_schema(
        summary="List the human tasks you may see: mine, my groups', unassigned or all",
        description=(
            "The inbox through the API. `view` picks mine (assigned to you), groups (your "
            "groups' tasks), unassigned, or all you may see (admins see the whole "
            "tenant). Open and claimed tasks only unless `include_closed`; snoozed ones "
            "only with `include_snoozed`. Default order: highest priority first."
        ),
        tags=["tasks"],
        parameters=[TaskQuerySerializer],
        examples=[examples.TASK_LIST],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Read a human task with its form; ETag is its revision",
        description=(
            "The task with its form (a JSON Schema), its decisions and its assignment. "
            "The `ETag` is its revision: send it as `If-Match` with an action to act only "
            "on what you saw."
        ),
        tags=["tasks"],
    )
    def retrieve(self, request, *args, **kwargs):
        task = self.get_object()
        return Response(HumanTaskSerializer(task).data, headers={"ETag": f'"{task.revision}"'})

    def _revision(self) -> int | None:
        raw = self.request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
        if not raw or raw == "*":  # "*": whatever the task holds now
            return None
        revision = whole_number(raw)
        if revision is None:
            raise serializers.ValidationError({"If-Match": ["A task's ETag is its revision."]})
        return revision

    def _answer(self, task) -> Response:
        fresh = worklist.task_detail(self.request.tenant, task.pk)
        return Response(HumanTaskSerializer(fresh).data, headers={"ETag": f'"{fresh.revision}"'})

    @extend_schema(
        summary="Claim the task: it becomes yours (operator)",
        description=(
            "The task is assigned to you and leaves the others' unassigned and group "
            "views. A task someone else claimed first is a 409 that names them; with "
            "`If-Match`, a task that changed since you read it is a 409 too."
        ),
        tags=["tasks"],
        parameters=[IF_MATCH],
        request=None,
        responses={200: HumanTaskSerializer},
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        task = worklist_services.claim_task(
            tenant=request.tenant, task_id=self.get_object().pk, user=request.user,
            expected_revision=self._revision(),
        )  # fmt: skip
        return self._answer(task)

    @extend_schema(
        summary="Give the task back to its group (its assignee or an admin)",
        description=(
            "The task becomes open and unassigned again, back in its group's view. Only "
            "its assignee or an admin may release it (403); a task completed, cancelled or "
            "taken over meanwhile is a 409."
        ),
        tags=["tasks"],
        parameters=[IF_MATCH],
        request=None,
        responses={200: HumanTaskSerializer},
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        task = worklist_services.release_task(
            tenant=request.tenant, task_id=self.get_object().pk, user=request.user,
            expected_revision=self._revision(),
        )  # fmt: skip
        return self._answer(task)

    @extend_schema(
        summary="Complete the task with a decision and form data (operator)",
        description="The data is validated against the task's form (JSON Schema): a "
        "mismatch is a 422 whose `details` name the fields. Completing an open task claims "
        "it first; a task someone else completed or holds is a 409.",
        tags=["tasks"],
        parameters=[IF_MATCH],
        request=CompleteSerializer,
        responses={200: HumanTaskSerializer},
        examples=[
            examples.COMPLETED,
            OpenApiExample(
                "approve",
                value={"decision": "approve", "data": {"note": "within budget"}},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = self.get_object()
        data = CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = worklist_services.complete_task(
            tenant=request.tenant, task_id=task.pk, user=request.user,
            decision=data.validated_data["decision"], data=data.validated_data["data"],
            expected_revision=self._revision(),
        )  # fmt: skip
        return self._answer(task)

    @extend_schema(
        summary="Move the task to another group and/or person (its assignee or an admin)",
        description=(
            "Sends an open or claimed task to `group` and/or `username` (a member of the "
            "tenant); it arrives unclaimed, to be accepted by claiming. Only its assignee "
            "or an admin may reassign it; an unknown group or user is a 400."
        ),
        tags=["tasks"],
        parameters=[IF_MATCH],
        request=ReassignSerializer,
        responses={200: HumanTaskSerializer},
        examples=[OpenApiExample("to a group", value={"group": "finance"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        task = self.get_object()
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = worklist_services.reassign_task(
            tenant=request.tenant, task_id=task.pk, user=request.user,
            to_group=data.validated_data["group"] or None,
            to_username=data.validated_data["username"] or None,
            expected_revision=self._revision(),
        )  # fmt: skip
        return self._answer(task)
