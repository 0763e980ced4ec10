"""Reads of the shared limits for pages: every dependency of a tenant with its live usage."""

from __future__ import annotations

from . import DependencyLimits, snapshot


def dependency_usage(tenant) -> list[dict]:
    """A ``limits.snapshot`` per dependency the tenant declared, by name.

    Each dict also has ``summary`` (one line for people, as the admin shows it). Reads
    one Redis round trip or one row per dependency; meant for an operations page.
    """
    from workflow_platform.definitions.models import Dependency

    views = []
    for row in Dependency.objects.for_tenant(tenant).order_by("name"):
        view = snapshot(tenant_id=tenant.pk, dependency=DependencyLimits.from_model(row))
        view["summary"] = describe_usage(view)
        views.append(view)
    return views


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
