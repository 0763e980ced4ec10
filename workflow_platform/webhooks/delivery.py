"""The delivery sweep: post due webhook deliveries, signed, and retry with backoff.

Each sweep takes a batch of due pending rows (``SKIP LOCKED``, so concurrent sweeps
share the work), pushes their next attempt time forward by a lease first and commits, so
a crashed sweeper's rows come due again instead of being lost; then it posts each one
outside any transaction through the actions' guarded HTTP client (the SSRF guard again,
at delivery time) and records the outcome. Failures back off exponentially with jitter
(15 s doubling, at most 1 h, a receiver's Retry-After respected) and give up after
``MAX_ATTEMPTS``; a given-up delivery can be replayed through the API.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from workflow_platform.actions.base import ActionError, ThrottledError
from workflow_platform.actions.encryption import decrypt
from workflow_platform.actions.http_client import send
from workflow_platform.engine import tracing
from workflow_platform.tenancy.scoping import all_tenants

from .models import DeliveryStatus, WebhookDelivery
from .signing import signed_headers

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(seconds=15)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(seconds=60)
TIMEOUT_SECONDS = 10.0


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    delay = min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
    delay = delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    if retry_after:
        delay = max(delay, timedelta(seconds=min(retry_after, MAX_BACKOFF.total_seconds())))
    return delay


def deliver_due(*, batch: int = 50) -> int:
    """Attempt every due delivery (up to ``batch``); returns how many were attempted."""
    now = timezone.now()
    with all_tenants(), transaction.atomic():  # a system sweep over every tenant
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .select_related("subscription", "subscription__tenant")
            .order_by("next_attempt_at")[:batch]
        )
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(
            next_attempt_at=now + LEASE
        )
    for delivery in due:
        attempt(delivery)
    return len(due)


def attempt(delivery: WebhookDelivery) -> None:
    """Post one delivery and record the outcome (delivered, retry later, or gave up)."""
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, cls=DjangoJSONEncoder).encode()
    secret = decrypt(subscription.secret_encrypted)
    status_code, error, retry_after = None, "", None
    if not subscription.active:
        error = "The subscription is paused."
    else:
        try:
            # In the trace of the instance the event is about; the receiver gets it too.
            with tracing.resumed("webhook.deliver", delivery.trace_context, {
                "workflow.tenant": delivery.tenant_id, "webhook.event": delivery.event,
                "webhook.delivery.id": delivery.pk, "webhook.attempt": delivery.attempts + 1,
            }):  # fmt: skip
                response = send(
                    method="POST",
                    url=subscription.url,
                    headers=signed_headers(
                        secret=secret, event_id=str(delivery.event_id), body=body
                    ),
                    content=body,
                    timeout=TIMEOUT_SECONDS,
                    allow_private_network=subscription.tenant.allow_private_network,
                    secrets=(secret,),
                )
            status_code = response.status
        except ActionError as failure:
            error = str(failure)[:2000]
            code = getattr(failure, "code", "")
            if code.startswith("http_") and code[5:].isascii() and code[5:].isdigit():
                status_code = int(code[5:])
            if isinstance(failure, ThrottledError):
                retry_after = failure.retry_after
        except Exception as failure:
            logger.exception("webhook delivery %s failed unexpectedly", delivery.pk)
            error = f"Unexpected error: {type(failure).__name__}: {failure}"[:2000]
    now = timezone.now()
    attempts = delivery.attempts + 1
    changes = {"attempts": attempts, "last_status_code": status_code, "last_error": error}
    if not error:
        changes.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif attempts >= MAX_ATTEMPTS or not subscription.active:
        changes.update(status=DeliveryStatus.FAILED)
    else:
        changes.update(next_attempt_at=now + backoff(attempts, retry_after))
    with all_tenants():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)


def seconds_until_next_due() -> float | None:
    """Seconds until the earliest pending delivery comes due (0 if overdue), or None."""
    with all_tenants():
        earliest = (
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
    if earliest is None:
        return None
    return max(0.0, (earliest - timezone.now()).total_seconds())
