"""Workflow definitions: list, create (with a first draft), read, rename or describe,
delete when unused, start a new draft from a version, import a JSON or YAML document.

Thin shells over ``definitions.services``; versions live in versions.py.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from workflow_platform.definitions import services
from workflow_platform.definitions.models import Definition, VersionStatus
from workflow_platform.definitions.services import change_definition

from .numbers import MAX_ID
from .permissions import EditsDefinitions, ReadOnly
from .versions import EXAMPLE_DOCUMENT, VersionSerializer, etag
from .viewsets import TenantViewSet


class DefinitionSerializer(serializers.ModelSerializer):
    latest_version = serializers.SerializerMethodField()
    published_version = serializers.SerializerMethodField()

    class Meta:
        model = Definition
        fields = [
            "id", "key", "name", "description", "created_at", "latest_version",
            "published_version",
        ]  # fmt: skip
        read_only_fields = fields

    def _versions(self, definition) -> list:
        return sorted(definition.versions.all(), key=lambda v: -v.number)

    def get_latest_version(self, definition) -> int | None:
        versions = self._versions(definition)
        return versions[0].pk if versions else None

    def get_published_version(self, definition) -> int | None:
        published = [v for v in self._versions(definition) if v.status == VersionStatus.PUBLISHED]
        return published[0].pk if published else None


class DefinitionCreateSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    document = serializers.JSONField(required=False, help_text="Default: a minimal machine.")

    def validate_document(self, value):
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError("A document is a JSON object.")
        return value


class DefinitionUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class NewDraftSerializer(serializers.Serializer):
    from_version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Default: the latest version."
    )


class ImportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=["json", "yaml", "asl"],
        default="json",
        help_text="`json` or `yaml` in our format; `asl`: an Amazon States Language machine "
        "(JSON or YAML), translated (docs/interchange.md).",
    )
    text = serializers.CharField(max_length=1_000_000, trim_whitespace=False)
    key = serializers.SlugField(
        max_length=100,
        required=False,
        help_text="`asl` only (required there): the definition's key; ASL machines have none.",
    )

    def validate(self, attrs):
        if attrs.get("format") == "asl" and not attrs.get("key"):
            raise serializers.ValidationError({"key": ["An ASL import needs a key."]})
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="List workflow definitions",
        description=(
            "The tenant's workflow definitions, each with the ids of its latest and of "
            "its published version. Filter by `key`; order by `id`, `key` or "
            "`created_at`."
        ),
        tags=["definitions"],
    ),
    retrieve=extend_schema(
        summary="Read a definition",
        description=(
            "One definition of your tenant with the ids of its latest and of its "
            "published version (null while nothing is published)."
        ),
        tags=["definitions"],
    ),
    create=extend_schema(
        summary="Create a definition with its first draft version (designer)",
        description=(
            "Creates the definition and its version 1 as a draft, from `document` or, "
            "without one, from a minimal starter machine. The answer is the draft with "
            "its `ETag`, ready to save with `PUT /api/versions/{id}/`. A key the tenant "
            "already uses is a 409."
        ),
        tags=["definitions"],
        request=DefinitionCreateSerializer,
        responses={201: VersionSerializer},
        examples=[
            OpenApiExample(
                "expense approval",
                value={
                    "key": "expense-approval",
                    "name": "Expense approval",
                    "document": EXAMPLE_DOCUMENT,
                },
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Rename a definition or change its description (designer)",
        description="The key never changes: every version's document carries it.",
        tags=["definitions"],
        request=DefinitionUpdateSerializer,
        responses={200: DefinitionSerializer},
        examples=[
            OpenApiExample(
                "rename",
                value={"name": "Expense approval (EU)", "description": "Above 100 EUR."},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(
        summary="Delete a definition that no instance uses (designer)",
        description=(
            "Deletes the definition with all its versions. Refused with 409 while a "
            "version is published (retire it first) or once any instance was started from "
            "it: history keeps its definition."
        ),
        tags=["definitions"],
    ),
)
class DefinitionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    model = Definition
    serializer_class = DefinitionSerializer
    extra_permissions = (ReadOnly | EditsDefinitions,)
    filterset_fields = ["key"]
    ordering_fields = ["id", "key", "created_at"]
    ordering = ["id"]
    problem_statuses = (409,)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scoped_queryset(self):
        return Definition.objects.prefetch_related("versions")

    def partial_update(self, request, *args, **kwargs):
        definition = self.get_object()
        data = DefinitionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change_definition(tenant=request.tenant, definition_id=definition.pk, **data.validated_data)
        return Response(DefinitionSerializer(self.scoped_queryset().get(pk=definition.pk)).data)

    def create(self, request, *args, **kwargs):
        data = DefinitionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.create_definition(
            tenant=request.tenant, user=request.user, **data.validated_data
        )
        return Response(
            VersionSerializer(version).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(version)},
        )

    def destroy(self, request, *args, **kwargs):
        definition = self.get_object()
        services.delete_definition(tenant=request.tenant, definition_id=definition.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Start a new draft from a version (designer)",
        description=(
            "A definition has at most one draft: if it has one, that draft is the answer, "
            "unchanged. Otherwise the new draft copies `from_version` (default: the "
            "newest version), which must be of this definition (400 otherwise)."
        ),
        tags=["definitions"],
        request=NewDraftSerializer,
        responses={201: VersionSerializer},
        examples=[OpenApiExample("from v1", value={"from_version": 1}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def drafts(self, request, pk=None):
        definition = self.get_object()
        data = NewDraftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.new_draft(
            tenant=request.tenant,
            definition_id=definition.pk,
            from_version_id=data.validated_data.get("from_version"),
            user=request.user,
        )
        return Response(
            VersionSerializer(version).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(version)},
        )

    @extend_schema(
        summary="Import a document (JSON or YAML text) as a draft (designer)",
        description=(
            "Parses the text in the interchange format: a new key creates the definition "
            "with the document as its draft v1, a known key adds a draft version to it "
            "(409 when it already has a draft). Text that does not parse is a 400. With "
            "`format` `asl` the text is an Amazon States Language machine, translated "
            "into our format under `key`; an invalid or unsupported machine is a 400 "
            "`invalid_asl` whose `details` locate every problem (`States.Check.Next`)."
        ),
        tags=["definitions"],
        request=ImportSerializer,
        responses={201: VersionSerializer},
        examples=[
            OpenApiExample(
                "yaml",
                value={
                    "format": "yaml",
                    "text": "format: workflow-island/v1\nkey: hello\ninitial: start\n"
                    "states:\n- name: start\n  kind: final\ntransitions: []\n",
                },
                request_only=True,
            ),
            OpenApiExample(
                "asl",
                value={
                    "format": "asl",
                    "key": "hello-asl",
                    "text": '{"StartAt": "Greet", "States": {"Greet": {"Type": "Pass", '
                    '"Result": "hello", "ResultPath": "$.greeting", "End": true}}}',
                },
                request_only=True,
            ),
        ],
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_document(self, request):
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.import_document(
            tenant=request.tenant,
            text=data.validated_data["text"],
            fmt=data.validated_data["format"],
            user=request.user,
            key=data.validated_data.get("key"),
        )
        return Response(
            VersionSerializer(version).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(version)},
        )
