"""A running instance's queries: the definition's named read-only expressions, answered.

Mixed into ``InstanceViewSet`` (instances.py) as ``GET /api/instances/{id}/queries/``
(all of them, or ``?name=`` one). Reading them locks and writes nothing
(engine/queries.py).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from workflow_platform.engine.queries import answer_queries

from .filters import check_query_parameters


class AnswerSerializer(serializers.Serializer):
    name = serializers.CharField()
    expression = serializers.CharField()
    value = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_blank=True)


QUERY_NAME = OpenApiParameter(
    "name", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False,
    description="Only this query (404 `query_not_found` when the definition has none of it).",
)  # fmt: skip


class InstanceQueriesMixin:
    @extend_schema(
        summary="Answer the instance's queries (read-only)",
        description=(
            "Each query the instance's definition version declares (`queries` in the "
            "format: a guard-language expression over `data`, `instance` and `history`), "
            "evaluated now. Nothing is locked or written; the instance goes on undisturbed. "
            "A query that cannot be answered for this instance's data has an `error` and "
            "a null `value`."
        ),
        tags=["instances"],
        parameters=[QUERY_NAME],
        responses={
            200: inline_serializer("QueryAnswers", {"results": AnswerSerializer(many=True)})
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def queries(self, request, pk=None):
        # No list filters or pagination here to bound the query string: so bound it here.
        check_query_parameters(request.query_params)
        instance = get_object_or_404(self.get_queryset(), pk=pk)
        name = request.query_params.get("name")
        answers = answer_queries(request.tenant, instance.pk, name)
        return Response({"results": [AnswerSerializer(a).data for a in answers]})
