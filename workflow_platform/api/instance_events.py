"""Events sent to an instance (signals): send one, and read the instance's mailbox.

Mixed into ``InstanceViewSet`` (instances.py), under /api/instances/{id}/events/. An
event the instance can take now is taken (200, the instance); one it cannot take yet is
kept in order in its mailbox (202, the mailbox entry) and taken when a state accepts it
(engine/mailbox.py). ``Idempotency-Key`` makes a resend safe.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from workflow_platform.engine import selectors, services
from workflow_platform.engine.models import BufferedEvent

from .filters import idempotency_key_header
from .pagination import LongListPagination


class EventSerializer(serializers.Serializer):
    event = serializers.RegexField(r"^[A-Za-z0-9_.:-]+$", max_length=100)
    payload = serializers.DictField(required=False, default=dict)


class SentEventSerializer(serializers.ModelSerializer):
    sent_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = BufferedEvent
        fields = [
            "id", "event", "payload", "status", "reason", "idempotency_key", "sent_by",
            "sent_at", "settled_at",
        ]  # fmt: skip
        read_only_fields = fields


class MailboxPagination(LongListPagination):
    ordering = "id"


EVENT_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Resend-safe: the same key answers with what became of the first sending; "
    "reusing it with another event or payload is a 409 (`idempotency_key_reused`).",
)


class InstanceEventsMixin:
    @extend_schema(
        methods=["POST"],
        summary="Send an event to the instance (operator)",
        description=(
            "An instance waiting in a state that accepts `event` takes it now (200, the "
            "instance): the first transition on it whose guard holds is taken by a worker "
            "and `payload` is merged into the data. An instance that cannot take it now "
            "(moving through steps, a transition pending, or only a later state accepts "
            "it) keeps it in its mailbox in the order sent and takes it as "
            "soon as a state accepts it (202, the mailbox entry; follow it with GET). "
            "Refused with a 409 and nothing kept: `event_not_accepted` when the current "
            "state takes the event but no guard holds, or no state the instance can still "
            "reach takes it; `instance_ended`. A queued event is refused later (status "
            "`refused`, a history event `event_refused` with the reason) when its guard "
            "does not hold once its state is reached or the instance ends first."
        ),
        tags=["instances"],
        parameters=[EVENT_KEY],
        request=EventSerializer,
        responses={
            200: OpenApiResponse(None, description="Taken now: the instance."),
            202: OpenApiResponse(SentEventSerializer, description="Kept in the mailbox."),
        },
        examples=[
            OpenApiExample(
                "payment arrived",
                value={"event": "paid", "payload": {"amount": 120}},
                request_only=True,
            )
        ],
    )
    @extend_schema(
        methods=["GET"],
        summary="The events sent to the instance, oldest first: taken, queued or refused",
        description=(
            "The instance's mailbox: every event sent to it, in the order sent, with its "
            "`status` (`delivered` when a state took it, `queued` while it waits for one, "
            "`refused` with the `reason`), who sent it, and when it was settled."
        ),
        tags=["instances"],
        responses={200: SentEventSerializer(many=True)},
    )
    @action(
        detail=True, methods=["get", "post"], pagination_class=MailboxPagination, filter_backends=[]
    )
    def events(self, request, pk=None):
        if request.method == "GET":
            instance = get_object_or_404(self.get_queryset(), pk=pk)
            sent = selectors.events_sent_to(request.tenant, instance.pk).select_related("sent_by")
            page = self.paginate_queryset(sent)
            return self.get_paginated_response(SentEventSerializer(page, many=True).data)
        instance = self.get_object()
        body = EventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key = idempotency_key_header(request)
        sent = services.send_event(
            tenant=request.tenant, instance_id=instance.pk, user=request.user,
            idempotency_key=key, **body.validated_data,
        )  # fmt: skip
        if sent.event.status == BufferedEvent.Status.QUEUED:
            return Response(SentEventSerializer(sent.event).data, status=status.HTTP_202_ACCEPTED)
        return Response(self._fresh(instance.pk))
