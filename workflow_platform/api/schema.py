"""OpenAPI: every operation documents its problem responses and the bearer scheme.

``PlatformAutoSchema`` (DRF's DEFAULT_SCHEMA_CLASS) adds to each operation the problem
details it can answer with (see exceptions.py): 400, 401, 403, 404 and 429 everywhere,
409 / 412 / 422 / 428 where a view declares them in ``problem_statuses`` (or per action
in ``action_problem_statuses``), and a ``default``
problem for the rest (405, 406, 415). Generated clients and Schemathesis therefore know
every body the API can send.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from workflow_platform.tenancy.scoping import all_tenants

from .exceptions import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="urn:workflow-island:problem:<code>")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    instance = serializers.CharField(required=False)
    errors = serializers.DictField(
        required=False, child=serializers.JSONField(), help_text="Field errors (400)."
    )
    details = serializers.JSONField(
        required=False, help_text="What the error attached, e.g. a definition's problems."
    )


_DESCRIPTIONS = {
    400: "Malformed input; `errors` lists the field errors.",
    401: "No or an invalid, expired or revoked token.",
    403: "Your role does not allow this.",
    404: "No such object in your tenant.",
    409: "Conflict with the current state (wrong state, already claimed, key reused).",
    412: "If-Match does not match the current ETag.",
    428: "If-Match is required here: send the ETag you read (or `*`).",
    422: "A definition that does not validate; `details` lists its problems.",
    429: "Too many requests; retry after `Retry-After` seconds.",
}
_EXAMPLE = OpenApiExample(
    "not found",
    value={
        "type": "urn:workflow-island:problem:not_found",
        "title": "Not Found",
        "status": 404,
        "detail": "Not found.",
        "code": "not_found",
        "instance": "/api/instances/42/",
    },
    status_codes=["404"],
    response_only=True,
)


def problem(status: int) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=_DESCRIPTIONS.get(status, "Error."))


class PlatformAutoSchema(AutoSchema):
    def get_description(self):
        # Operations are described in their extend_schema; a class or method docstring
        # is written for developers (and a mixin's would describe every operation).
        return ""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        statuses = [400, 401, 403, 404, 429, *getattr(self.view, "problem_statuses", ())]
        by_action = getattr(self.view, "action_problem_statuses", {})
        statuses += by_action.get(getattr(self.view, "action", None), ())
        for status in statuses:
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    problem(status), str(status), [PROBLEM_CONTENT_TYPE]
                )
        responses["default"] = self._get_response_for_code(
            OpenApiResponse(ProblemSerializer, description="Any other error."),
            "default",
            [PROBLEM_CONTENT_TYPE],
        )
        return responses

    def get_examples(self):
        return [*super().get_examples(), _EXAMPLE]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "workflow_platform.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`wi_...`) issued to a member of one tenant.",
        }


class PlatformSchemaGenerator(SchemaGenerator):
    """Generates the schema outside any tenant: filter sets introspect scoped managers."""

    def get_schema(self, request=None, public=False):
        with all_tenants():  # builds querysets to read their model; no row is read
            return super().get_schema(request=request, public=public)
