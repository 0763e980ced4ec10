"""Operator repairs on instances: suspend, resume, redrive a failed step, migrate to
another version (dry run first); and the async-completion callback of ``wait`` states.

Mixed into ``InstanceViewSet`` (instances.py) so they live under /api/instances/. The
callback is its own view: the caller is the dependency that was handed the wait's
completion token, which is its only credential (no API token, no tenant).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from workflow_platform.engine import migration, services, waiting

from .numbers import MAX_ID


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class MigrateSerializer(serializers.Serializer):
    instances = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), min_length=1, max_length=1000
    )
    to_version = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="A published version's id."
    )
    state_mapping = serializers.DictField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=dict,
        help_text='{"old state": "new state"}; a state left out keeps its name.',
    )
    dry_run = serializers.BooleanField(
        default=True, help_text="Only report (the default); false moves them, all or none."
    )


class InstancePlanSerializer(serializers.Serializer):
    instance_id = serializers.IntegerField()
    from_version = serializers.IntegerField(allow_null=True)
    from_state = serializers.CharField()
    to_state = serializers.CharField(allow_null=True)
    problems = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.DictField())
    ok = serializers.BooleanField()


class MigrationReportSerializer(serializers.Serializer):
    to_version = serializers.IntegerField(help_text="The target version's number.")
    dry_run = serializers.BooleanField()
    ok = serializers.BooleanField()
    instances = InstancePlanSerializer(many=True)


class InstanceRepairsMixin:
    """Actions for InstanceViewSet; each answers with the fresh instance."""

    def _repair(self, service, **extra):
        instance = self.get_object()
        service(
            tenant=self.request.tenant, instance_id=instance.pk, user=self.request.user, **extra
        )
        return Response(self._fresh(instance.pk))

    @extend_schema(
        summary="Suspend the instance: nothing runs until it is resumed (operator)",
        description=(
            "A created, running or waiting instance stops taking steps; timers that fall "
            "due wait for the resume. An instance already suspended, ended, failed or "
            "compensating is a 409."
        ),
        tags=["instances"],
        request=ReasonSerializer,
        examples=[
            OpenApiExample("maintenance", value={"reason": "ERP upgrade"}, request_only=True)
        ],
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._repair(services.suspend_instance, reason=data.validated_data["reason"])

    @extend_schema(
        summary="Resume a suspended instance (operator)",
        description=(
            "The instance goes back to the status and readiness it had when suspended; "
            "timers that fell due meanwhile fire on the next sweep. An instance that is "
            "not suspended is a 409."
        ),
        tags=["instances"],
        request=None,
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._repair(services.resume_instance)

    @extend_schema(
        summary="Run a failed instance again from its failed step (operator)",
        description=(
            "The failed step re-runs with a fresh attempt budget and its same idempotency "
            "key; committed steps are not run again, and open incidents are resolved by "
            "you. An instance that did not fail, or failed by reaching a `failed` state, "
            "is a 409."
        ),
        tags=["instances"],
        request=None,
    )
    @action(detail=True, methods=["post"])
    def redrive(self, request, pk=None):
        return self._repair(services.redrive_instance)

    @extend_schema(
        summary="Migrate instances to another published version (operator; dry run first)",
        description="With `dry_run` (the default) nothing moves: the report says, per "
        "instance, what would break. A real run moves all of them or none (422 with the "
        "report when any has a problem).",
        tags=["instances"],
        request=MigrateSerializer,
        responses={200: MigrationReportSerializer},
        examples=[
            OpenApiExample(
                "dry run",
                value={"instances": [7, 8], "to_version": 3, "state_mapping": {"review": "triage"}},
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def migrate(self, request):
        data = MigrateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = migration.migrate_instances(
            tenant=request.tenant,
            instance_ids=data.validated_data["instances"],
            to_version_id=data.validated_data["to_version"],
            state_mapping=data.validated_data["state_mapping"],
            dry_run=data.validated_data["dry_run"],
            user=request.user,
        )
        return Response(report.as_dict())


class WaitCompletionSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=300, help_text="The wait's completion token.")
    payload = serializers.DictField(required=False, default=dict, help_text="Merged into data.")


class WaitCompletedSerializer(serializers.Serializer):
    instance = serializers.IntegerField()
    state = serializers.CharField()
    status = serializers.CharField()


class WaitCompletionView(APIView):
    # The token is the credential: a dependency has no API token and no tenant.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    problem_statuses = (409,)

    @extend_schema(
        summary="Complete a wait state with its completion token (async callback)",
        description="The token reaches a dependency through the action that entered the "
        "wait (`{{ data.wait.token }}`). Single use: a repeated, late or forged completion "
        "changes nothing (409 or 404).",
        tags=["instances"],
        request=WaitCompletionSerializer,
        responses={200: WaitCompletedSerializer},
        auth=[],
        examples=[
            OpenApiExample(
                "payment settled",
                value={"token": "42.3.k3vQ...", "payload": {"settled": True}},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = WaitCompletionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instance = waiting.complete_wait(
            token=data.validated_data["token"], payload=data.validated_data["payload"]
        )
        return Response(
            {"instance": instance.pk, "state": instance.state, "status": instance.status}
        )
