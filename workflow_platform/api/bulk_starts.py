"""Bulk start: many instances of one definition in one request, idempotent per item.

``POST /api/instances/bulk/`` hands the items to ``engine.services.start_or_find_instances``,
which checks every item (a bad one is a 400 naming its index, and nothing starts) and
writes all new instances with a few set-based statements. Each item's own
``idempotency_key`` makes a retried request safe: an item whose key already started an
instance with the same data answers that instance with ``created: false``. The answer
is short per item (id, state, status, created) so a thousand starts stay a small body;
read an instance for its data.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from workflow_platform.engine import services

# Per request; a caller with more sends several requests (the engine takes up to
# services.MAX_BULK_START at once, but a request body this size stays a few megabytes).
MAX_ITEMS = 1000


class BulkStartItemSerializer(serializers.Serializer):
    """One item, for the schema only: the engine checks items (one pass, located errors)."""

    data = serializers.DictField(required=False, default=dict)
    business_key = serializers.CharField(required=False, allow_blank=True, max_length=200)
    priority = serializers.IntegerField(required=False, min_value=-1000, max_value=1000)
    idempotency_key = serializers.CharField(required=False, allow_blank=True, max_length=200)


@extend_schema_field(BulkStartItemSerializer(many=True))
class StartItemsField(serializers.ListField):
    """A list of items, each left whole for the engine's check; documented as items."""


class BulkStartSerializer(serializers.Serializer):
    definition = serializers.SlugField(
        max_length=100, help_text="Key of a definition with a published version."
    )
    items = StartItemsField(
        child=serializers.JSONField(),
        min_length=1,
        max_length=MAX_ITEMS,
        help_text=f"1 to {MAX_ITEMS} starts; each is checked by the engine (see the item "
        "schema), and one bad item starts none.",
    )


class BulkStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField(help_text="False: the item's idempotency key had "
                                       "already started this instance.")  # fmt: skip


class BulkStartResultSerializer(serializers.Serializer):
    definition = serializers.CharField()
    created = serializers.IntegerField(help_text="Items that started a new instance.")
    found = serializers.IntegerField(help_text="Items answered by an earlier start.")
    instances = BulkStartedSerializer(many=True, help_text="In the order of the items.")


BULK_START_SCHEMA = extend_schema(
    summary="Start many instances of one definition in one request (designer, operator)",
    description=(
        f"Up to {MAX_ITEMS} items, each `{{data, business_key, priority, "
        "idempotency_key}}`, started together on the latest published version: all or "
        "nothing (a bad item is a 400 naming its index, an idempotency key reused with "
        "other data a 409, and then none starts). An item whose `idempotency_key` already "
        "started an instance with the same request answers it with `created: false`, so "
        "a retried request starts nothing twice. 201 when any item started an instance, "
        "200 when all were found. The instances are answered in item order."
    ),
    tags=["instances"],
    request=BulkStartSerializer,
    responses={
        201: BulkStartResultSerializer,
        200: OpenApiResponse(BulkStartResultSerializer, description="Every item was found."),
    },
    examples=[
        OpenApiExample(
            "two orders",
            value={
                "definition": "order-fulfilment",
                "items": [
                    {"data": {"order": 1}, "business_key": "o-1", "idempotency_key": "o-1"},
                    {"data": {"order": 2}, "business_key": "o-2", "idempotency_key": "o-2"},
                ],
            },
            request_only=True,
        ),
        OpenApiExample(
            "started",
            value={
                "definition": "order-fulfilment",
                "created": 2,
                "found": 0,
                "instances": [
                    {"id": 41, "state": "received", "status": "running", "created": True},
                    {"id": 42, "state": "received", "status": "running", "created": True},
                ],
            },
            response_only=True,
            status_codes=["201"],
        ),
    ],
)


def start_many(request) -> Response:
    """The bulk start of ``request`` (authenticated, tenant resolved, role checked)."""
    body = BulkStartSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    definition = body.validated_data["definition"]
    started = services.start_or_find_instances(
        tenant=request.tenant,
        definition_key=definition,
        items=body.validated_data["items"],
        user=request.user,
    )
    created = sum(1 for s in started if s.created)
    answer = {
        "definition": definition,
        "created": created,
        "found": len(started) - created,
        "instances": [
            {
                "id": s.instance.pk,
                "state": s.instance.state,
                "status": s.instance.status,
                "created": s.created,
            }
            for s in started
        ],
    }
    return Response(answer, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
