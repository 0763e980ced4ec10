"""Reads of the shared limits for pages: every dependency of a tenant with its live usage."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from workflow_platform.definitions.models import Dependency

from . import DependencyLimits, snapshot

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

log = logging.getLogger(__name__)

# What a snapshot holds besides the configured limits: unknown while Redis is down.
LIVE_KEYS = (
    "tokens", "breaker", "failures", "open_until", "probes_in_flight", "in_flight",
    "deferred_until",
)  # fmt: skip


def dependency_usage(tenant: Tenant) -> list[dict]:
    """A ``limits.snapshot`` per dependency the tenant declared, by name.

    Each dict also has ``recovery_time`` (seconds the breaker stays open; None without a
    breaker), ``summary`` (one line for people, as the admin shows it) and ``available``:
    False when the live state cannot be read (Redis unreachable), and then the live keys
    are None and the configured limits are still there. Reads one Redis round trip or
    one row per dependency; meant for an operations page.
    """
    views = []
    for row in Dependency.objects.for_tenant(tenant).order_by("name"):
        limits = DependencyLimits.from_model(row)
        try:
            view = snapshot(tenant_id=tenant.pk, dependency=limits)
        except RedisError as error:
            log.warning("live limits of %s unavailable: %s", limits.name, error)
            view = _configured_only(limits)
        else:
            view["available"] = True
            view["summary"] = describe_usage(view)
        view["recovery_time"] = limits.recovery_time if limits.failure_threshold else None
        views.append(view)
    return views


def _configured_only(limits: DependencyLimits) -> dict:
    return {
        "dependency": limits.name,
        "backend": "redis",
        "tps": limits.tps,
        "burst": limits.capacity if limits.tps else None,
        "failure_threshold": limits.failure_threshold,
        "concurrency": limits.concurrency,
        **dict.fromkeys(LIVE_KEYS),
        "available": False,
        "summary": "live state unavailable (Redis cannot be reached)",
    }


def describe_usage(view: dict) -> str:
    """One line for people: tokens, breaker, in flight, deferral."""
    parts = []
    if view["tps"]:
        parts.append(f"{view['tokens']:g}/{view['burst']} tokens at {view['tps']:g}/s")
    if view["breaker"]:
        breaker = view["breaker"].replace("_", "-")
        if view["open_until"]:
            breaker += f" until {view['open_until']:%H:%M:%S} UTC"
        parts.append(f"breaker {breaker} ({view['failures']}/{view['failure_threshold']} failures)")
    if view["concurrency"]:
        parts.append(f"{view['in_flight']}/{view['concurrency']} in flight")
    if view["deferred_until"]:
        parts.append(f"Retry-After until {view['deferred_until']:%H:%M:%S} UTC")
    return "; ".join(parts) or "no limits"
