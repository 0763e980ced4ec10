"""Versions of a definition: read, save a draft (ETag/If-Match), validate, publish,
retire, diff and export.

A draft's ``ETag`` is its document checksum. Saving needs it back as ``If-Match``
(428 without one, RFC 6585): a concurrent edit is refused with 412 instead of being
overwritten. ``If-Match: *`` matches whatever the draft holds now, for a client that
means to overwrite. Thin shells over ``definitions.services``.
"""

from __future__ import annotations

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from workflow_platform.definitions import services
from workflow_platform.definitions.diff import diff_documents
from workflow_platform.definitions.models import Version, VersionStatus
from workflow_platform.definitions.validation import validate_document
from workflow_platform.errors import Conflict, InvalidInput, PlatformError

from . import examples
from .filters import IdFilter
from .numbers import whole_number
from .permissions import EditsDefinitions, ReadOnly
from .viewsets import TenantViewSet

EXAMPLE_DOCUMENT = {
    "format": "workflow-island/v1",
    "key": "expense-approval",
    "name": "Expense approval",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "human",
            "task": {
                "title": "Approve {{ data.amount }} EUR",
                "assign": {"group": "approvers"},
                "form": {"type": "object", "properties": {"note": {"type": "string"}}},
            },
        },
        {"name": "approved", "kind": "final"},
        {"name": "rejected", "kind": "final"},
    ],
    "transitions": [
        {"from": "review", "to": "approved", "on": "approve"},
        {"from": "review", "to": "rejected", "on": "reject"},
    ],
}


class PreconditionFailed(PlatformError):
    status = 412


class PreconditionRequired(PlatformError):
    status = 428


class VersionFilter(django_filters.FilterSet):
    definition = IdFilter(field_name="definition_id", help_text="Definition id.")
    status = django_filters.ChoiceFilter(choices=VersionStatus.choices)
    number = IdFilter(help_text="Version number within its definition.")

    class Meta:
        model = Version
        fields = []


class VersionSerializer(serializers.ModelSerializer):
    definition_key = serializers.CharField(source="definition.key", read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    published_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Version
        fields = [
            "id", "definition", "definition_key", "number", "status", "checksum", "document",
            "created_at", "created_by", "published_at", "published_by",
        ]  # fmt: skip
        read_only_fields = fields


class VersionSummarySerializer(VersionSerializer):
    class Meta(VersionSerializer.Meta):
        fields = [f for f in VersionSerializer.Meta.fields if f != "document"]
        read_only_fields = fields


class DocumentSerializer(serializers.Serializer):
    document = serializers.JSONField()

    def validate_document(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("A document is a JSON object.")
        return value


class ProblemItemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="Where, for tools: `states[1].task.form`.")
    code = serializers.CharField()
    message = serializers.CharField()
    element = serializers.CharField(
        help_text="Where, in words: `state 'review'`, `transition review -> approved`."
    )
    field = serializers.CharField(help_text="The part of the element: `task.form`, or empty.")


class ValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = ProblemItemSerializer(many=True)


class DiffSerializer(serializers.Serializer):
    against = serializers.IntegerField(help_text="The version compared with (the old side).")
    states = serializers.JSONField()
    transitions = serializers.JSONField()
    actions = serializers.JSONField()


def etag(version: Version) -> str:
    return f'"{version.checksum}"'


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Required: the ETag you read (a draft changed since is refused with 412), "
    "or `*` to overwrite whatever the draft holds now.",
    required=True,
)


def expected_checksum(header: str | None, version: Version) -> str | None:
    """The checksum ``If-Match`` asks the draft to have (None for ``*``); 428 without it."""
    raw = (header or "").strip()
    if not raw:
        raise PreconditionRequired(
            "if_match_required",
            "Send the ETag you read as If-Match (or * to overwrite): saving a draft "
            "without it could silently overwrite someone else's edit.",
        )
    if raw == "*":
        return None
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in raw.split(",")]
    # The service compares under a lock; pick the tag that matches now, if any does.
    return version.checksum if version.checksum in tags else tags[0]


@extend_schema_view(
    list=extend_schema(
        summary="List versions (without their documents)",
        description=(
            "The tenant's versions, newest first by default, without their documents "
            "(read one for that). Filter by `definition` (id), `status` or `number`."
        ),
        tags=["definitions"],
        responses={200: VersionSummarySerializer(many=True)},
    ),
    retrieve=extend_schema(
        examples=[examples.READ_VERSION],
        summary="Read a version with its document; the ETag is its checksum",
        description=(
            "The version with its document in canonical form and its checksum, which is "
            "also the `ETag` to send as `If-Match` when saving a draft."
        ),
        tags=["definitions"],
    ),
)
class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    model = Version
    serializer_class = VersionSerializer
    extra_permissions = (ReadOnly | EditsDefinitions,)
    filterset_class = VersionFilter
    ordering_fields = ["id", "number", "created_at"]
    ordering = ["-id"]
    problem_statuses = (409, 422)
    action_problem_statuses = {"update": (412, 428)}

    def scoped_queryset(self):
        return Version.objects.select_related("definition", "created_by", "published_by")

    def get_serializer_class(self):
        return VersionSummarySerializer if self.action == "list" else VersionSerializer

    def retrieve(self, request, *args, **kwargs):
        version = self.get_object()
        return Response(VersionSerializer(version).data, headers={"ETag": etag(version)})

    @extend_schema(
        summary="Save a draft's document (designer); If-Match is required",
        description="Send the ETag you read as `If-Match`: a draft saved meanwhile answers "
        "412 and keeps its document; without `If-Match` the answer is 428. `If-Match: *` "
        "overwrites whatever the draft holds. A published or retired version is a 409.",
        tags=["definitions"],
        parameters=[IF_MATCH],
        request=DocumentSerializer,
        responses={200: VersionSerializer},
        examples=[OpenApiExample("document", value={"document": EXAMPLE_DOCUMENT})],
    )
    def update(self, request, pk=None):
        version = self.get_object()
        expected = expected_checksum(request.headers.get("If-Match"), version)
        data = DocumentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            version = services.save_draft(
                tenant=request.tenant,
                version_id=version.pk,
                document=data.validated_data["document"],
                expected_checksum=expected,
                user=request.user,
            )
        except Conflict as conflict:
            if conflict.code == "draft_changed":
                raise PreconditionFailed(conflict.code, conflict.message) from None
            raise
        return Response(VersionSerializer(version).data, headers={"ETag": etag(version)})

    @extend_schema(
        summary="Validate a version's document (or a document sent in the body)",
        description=(
            "Checks the document against the format and the tenant (groups, users, "
            "dependencies, child workflows) without changing anything. Always 200: "
            "`valid` says whether it would publish, `problems` lists what stops it, each "
            "with `path` (for tools), `element` and `field` (the same place in words), "
            "`code` and `message`."
        ),
        tags=["definitions"],
        request=DocumentSerializer,
        responses={200: ValidationResultSerializer},
        examples=[
            OpenApiExample("a document", value={"document": EXAMPLE_DOCUMENT}, request_only=True),
            OpenApiExample(
                "problems",
                value={
                    "valid": False,
                    "problems": [
                        {
                            "path": "transitions[0].to",
                            "code": "unknown_state",
                            "message": "there is no state 'nowhere'",
                            "element": "transition received -> nowhere",
                            "field": "to",
                        }
                    ],
                },
                response_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        version = self.get_object()
        document = version.document
        if request.data:
            data = DocumentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            document = data.validated_data["document"]
        problems = [p.as_dict() for p in validate_document(document, tenant=request.tenant)]
        return Response({"valid": not problems, "problems": problems})

    @extend_schema(
        summary="Publish a draft (designer); 422 lists the problems if it does not validate",
        description=(
            "The draft becomes a published version: immutable from then on, and new "
            "instances start on the newest published version of the definition. A draft "
            "that does not validate is a 422 whose `details` list the problems; a version "
            "that is not a draft is a 409."
        ),
        tags=["definitions"],
        request=None,
        responses={200: VersionSerializer},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        version = services.publish_version(
            tenant=request.tenant, version_id=self.get_object().pk, user=request.user
        )
        return Response(VersionSerializer(version).data)

    @extend_schema(
        summary="Retire a published version: no new instances start on it (designer)",
        description=(
            "Instances already running on the version carry on to their end. A version "
            "that is not published is a 409."
        ),
        tags=["definitions"],
        request=None,
        responses={200: VersionSerializer},
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        version_id = self.get_object().pk
        services.retire_version(tenant=request.tenant, version_id=version_id, user=request.user)
        return Response(VersionSerializer(self.scoped_queryset().get(pk=version_id)).data)

    @extend_schema(
        summary="What changed from another version to this one",
        description=(
            "States, transitions and actions added, removed and changed from `against` "
            "(default: the published version, else the previous number) to this version."
        ),
        tags=["definitions"],
        parameters=[
            OpenApiParameter(
                "against",
                OpenApiTypes.INT,
                description="The old version's id (default: the published one, else the "
                "previous number).",
            )
        ],
        responses={200: DiffSerializer},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        version = self.get_object()
        against = self._against(request, version)
        diff = diff_documents(against.document, version.document).as_dict()
        return Response({"against": against.pk, **diff})

    def _against(self, request, version: Version) -> Version:
        siblings = self.scoped_queryset().filter(definition=version.definition_id)
        raw = request.query_params.get("against")
        if raw is not None:
            against = whole_number(raw, minimum=1)
            if against is None:
                raise InvalidInput("bad_against", "against must be a version id.")
            return self.scoped_queryset().get(pk=against)  # 404 when not the tenant's
        candidate = (
            siblings.filter(status=VersionStatus.PUBLISHED).exclude(pk=version.pk).first()
            or siblings.filter(number__lt=version.number).order_by("-number").first()
        )
        if candidate is None:
            raise InvalidInput("nothing_to_compare", "This is the only version; pass against.")
        return candidate

    @extend_schema(
        summary="Export a version's document as JSON or YAML",
        description=(
            "The document in the interchange format, as a file download (`format=json` or "
            "`yaml`; `fmt`, the designer's name for it, works too); importing it elsewhere "
            "gives the same machine. `format=asl` writes an Amazon States Language "
            "machine (JSON) where every construct maps, else a 400 `invalid_asl` locating "
            "each one that does not (docs/interchange.md). Any other format is a 400 "
            "(`unknown_format`) naming the accepted ones, never a silent JSON."
        ),
        tags=["definitions"],
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, enum=["json", "yaml", "asl"], default="json"
            ),
            OpenApiParameter(
                "fmt",
                OpenApiTypes.STR,
                enum=["json", "yaml", "asl"],
                description="The same as `format` (send one of the two).",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            # The schema describes the data; YAML is only how it is written.
            (200, "application/yaml"): OpenApiResponse(OpenApiTypes.OBJECT),
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        version = self.get_object()
        asked = {
            request.query_params[name] for name in ("format", "fmt") if name in request.query_params
        }
        if len(asked) > 1:
            raise InvalidInput("unknown_format", "format and fmt name different formats; send one.")
        fmt = asked.pop() if asked else "json"
        # The definitions' export refuses a format it does not write (unknown_format).
        text = services.export_version(tenant=request.tenant, version_id=version.pk, fmt=fmt)
        response = HttpResponse(
            text, content_type="application/yaml" if fmt == "yaml" else "application/json"
        )
        suffix = "asl.json" if fmt == "asl" else fmt
        response["Content-Disposition"] = (
            f'attachment; filename="{version.definition.key}-v{version.number}.{suffix}"'
        )
        return response
