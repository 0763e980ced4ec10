"""Services for webhook subscriptions and the events they receive.

``record_event`` is called by the engine-signal receivers inside the engine's
transaction: it writes one pending delivery per matching subscription (the durable
outbox) and asks for a sweep once that transaction commits.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from workflow_platform.actions.base import ActionError
from workflow_platform.actions.encryption import encrypt
from workflow_platform.actions.network_guard import resolve_public
from workflow_platform.errors import InvalidInput, NotFound
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import all_tenants, tenant_scope

from .models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from .signing import new_secret
from .tasks import deliver_webhooks

logger = logging.getLogger(__name__)


def check_url(*, tenant: Tenant, url: str) -> None:
    """Refuse a URL the delivery could not or must not reach (the actions' SSRF guard).

    Checked again at every delivery: DNS may change after subscribing.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("bad_url", "A webhook URL must be http(s) with a host.")
    if parts.username or parts.password:
        raise InvalidInput("bad_url", "A webhook URL may not carry credentials.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        resolve_public(parts.hostname, port, allow_private_network=tenant.allow_private_network)
    except ValueError:
        raise InvalidInput("bad_url", "The URL's port is not a number.") from None
    except ActionError as error:
        raise InvalidInput("url_refused", str(error)) from None


def _check_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events or unknown:
        raise InvalidInput(
            "bad_events",
            f"Subscribe to one or more of {WebhookEvent.values}"
            + (f"; unknown: {unknown}." if unknown else "."),
        )
    return sorted(set(events))


@transaction.atomic
def subscribe(
    *, tenant: Tenant, url: str, events: list[str], description: str = "", active: bool = True
) -> tuple[WebhookSubscription, str]:
    """Create a subscription; returns it with its signing secret (shown this once)."""
    check_url(tenant=tenant, url=url)
    secret = new_secret()
    subscription = WebhookSubscription(
        tenant=tenant,
        url=url,
        events=_check_events(events),
        description=description,
        active=active,
        secret_encrypted=encrypt(secret),
    )
    with tenant_scope(tenant):
        subscription.full_clean()
        subscription.save()
    return subscription, secret


@transaction.atomic
def change_subscription(
    *,
    tenant: Tenant,
    subscription_id: int,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    """Change what a subscription receives or pause it (``active=False``)."""
    with tenant_scope(tenant):
        subscription = (
            WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
        )
        if subscription is None:
            raise NotFound("subscription_not_found", "No such webhook subscription.")
        if url is not None:
            check_url(tenant=tenant, url=url)
            subscription.url = url
        if events is not None:
            subscription.events = _check_events(events)
        if active is not None:
            subscription.active = active
        if description is not None:
            subscription.description = description
        subscription.full_clean()
        subscription.save()
    return subscription


@transaction.atomic
def replay_delivery(*, tenant: Tenant, delivery_id: int) -> WebhookDelivery:
    """Queue the event of ``delivery_id`` again (same event id, fresh attempts)."""
    with tenant_scope(tenant):
        original = WebhookDelivery.objects.filter(pk=delivery_id).first()
        if original is None:
            raise NotFound("delivery_not_found", "No such webhook delivery.")
        replay = WebhookDelivery.objects.create(
            tenant=tenant,
            subscription=original.subscription,
            event_id=original.event_id,
            event=original.event,
            payload=original.payload,
            next_attempt_at=timezone.now(),
            replay_of=original,
            trace_context=original.trace_context,
        )
    _sweep_after_commit()
    return replay


# The engine asks for every instance that ends: a per-process view of each tenant's
# active subscriptions keeps that off the database. A change to a subscription clears
# it in the process that made it (signals below); other processes see it within
# SUBSCRIPTIONS_TTL seconds (docs/api.md, "Webhooks").
SUBSCRIPTIONS_TTL = 2.0
_subscriptions: dict[int, tuple[float, list[tuple[int, frozenset[str]]]]] = {}


def active_subscriptions(tenant_id: int) -> list[tuple[int, frozenset[str]]]:
    """(id, events) of ``tenant_id``'s active subscriptions, at most SUBSCRIPTIONS_TTL old."""
    cached = _subscriptions.get(tenant_id)
    if cached is not None and time.monotonic() - cached[0] < SUBSCRIPTIONS_TTL:
        return cached[1]
    with all_tenants():  # a signal receiver has the tenant id, not a scope
        rows = [
            (pk, frozenset(events or ()))
            for pk, events in WebhookSubscription.objects.filter(
                tenant_id=tenant_id, active=True
            ).values_list("pk", "events")
        ]
    _subscriptions[tenant_id] = (time.monotonic(), rows)
    return rows


def forget_subscriptions(**_signal) -> None:
    """Drop the cached view (a subscription changed here; tests between tenants)."""
    _subscriptions.clear()


post_save.connect(forget_subscriptions, sender=WebhookSubscription, dispatch_uid="wh-subs-save")
post_delete.connect(forget_subscriptions, sender=WebhookSubscription, dispatch_uid="wh-subs-del")


def record_event(
    *, tenant_id: int, event: str, payload: dict | Callable[[], dict], trace_context: str = ""
) -> int:
    """Write a pending delivery for each active subscription of ``event``; how many.

    Runs in the caller's transaction: the deliveries exist exactly when the change does.
    ``payload`` may be a function: it is called only when someone subscribed, so the
    engine's hot path pays nothing for tenants without webhooks. ``trace_context``: the
    ``traceparent`` of the instance the event is about; its delivery joins that trace.
    """
    subscription_ids = [pk for pk, events in active_subscriptions(tenant_id) if event in events]
    if not subscription_ids:
        return 0
    if callable(payload):
        payload = payload()
    now = timezone.now()
    event_id = uuid.uuid4()
    envelope = {
        "id": str(event_id),
        "type": event,
        "occurred_at": now.isoformat(),
        "data": payload,
    }
    with all_tenants():
        WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                tenant_id=tenant_id,
                subscription_id=subscription_id,
                event_id=event_id,
                event=event,
                payload=envelope,
                next_attempt_at=now,
                status=DeliveryStatus.PENDING,
                trace_context=trace_context,
            )
            for subscription_id in subscription_ids
        )
    _sweep_after_commit()
    return len(subscription_ids)


def _sweep_after_commit() -> None:
    def enqueue() -> None:
        try:
            deliver_webhooks.delay()
        except Exception:
            # The broker is down: the periodic sweep delivers the rows all the same. This
            # runs after the engine's commit: it must never fail the engine's work.
            logger.warning("could not enqueue the webhook sweep", exc_info=True)

    transaction.on_commit(enqueue, robust=True)
