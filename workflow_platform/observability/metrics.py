"""Prometheus metrics of the platform, read from the database when they are scraped.

The database is the truth (docs/adr/0006-engine-database-is-the-truth.md), so the
figures an operator alerts on come from it, not from counters kept in worker memory that
a restart would lose: instances by status, the ready backlog and how long its oldest
instance has waited, open and overdue human tasks, open incidents, timers overdue for
firing, and how long ago each worker last proved it is alive. Each scrape is a handful
of aggregate queries (``collect``); per tenant where an operator would want to know who.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from workflow_platform.engine.models import Incident, Instance, Timer
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.worklist.models import OPEN_STATUSES, HumanTask

from .models import WorkerHeartbeat


class PlatformCollector(Collector):
    """Collects every family on each scrape (registered by the metrics view)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        with all_tenants():  # a platform operator's view across tenants
            slugs = dict(Tenant.objects.values_list("pk", "slug"))
            yield from _instances(slugs)
            yield from _backlog(now)
            yield from _tasks(slugs, now)
            yield from _incidents(slugs)
            yield from _timers(now)
            yield from _workers(now)


def _instances(slugs: dict[int, str]) -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "workflow_instances", "Instances by tenant and status.", labels=["tenant", "status"]
    )
    rows = Instance.objects.values_list("tenant_id", "status").annotate(n=Count("pk"))
    for tenant_id, status, count in rows.order_by():
        family.add_metric([slugs.get(tenant_id, str(tenant_id)), status], count)
    yield family


def _backlog(now) -> Iterator[GaugeMetricFamily]:
    ready = Instance.objects.filter(ready=True).aggregate(n=Count("pk"), oldest=Min("ready_since"))
    yield GaugeMetricFamily(
        "workflow_ready_instances", "Instances ready for a worker (the backlog).", value=ready["n"]
    )
    waited = (now - ready["oldest"]).total_seconds() if ready["oldest"] else 0.0
    yield GaugeMetricFamily(
        "workflow_ready_oldest_age_seconds",
        "How long the longest-waiting ready instance has waited for a worker.",
        value=max(0.0, waited),
    )


def _tasks(slugs: dict[int, str], now) -> Iterator[GaugeMetricFamily]:
    open_tasks = GaugeMetricFamily(
        "workflow_human_tasks_open", "Open or claimed human tasks.", labels=["tenant"]
    )
    overdue = GaugeMetricFamily(
        "workflow_human_tasks_overdue", "Open or claimed tasks past their due time (SLA).",
        labels=["tenant"],
    )  # fmt: skip
    rows = (
        HumanTask.objects.filter(status__in=OPEN_STATUSES)
        .values_list("tenant_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
        .order_by()
    )
    for tenant_id, count, late in rows:
        slug = slugs.get(tenant_id, str(tenant_id))
        open_tasks.add_metric([slug], count)
        overdue.add_metric([slug], late)
    yield open_tasks
    yield overdue


def _incidents(slugs: dict[int, str]) -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "workflow_incidents_open", "Unresolved incidents by tenant and code.",
        labels=["tenant", "code"],
    )  # fmt: skip
    rows = (
        Incident.objects.filter(resolved_at__isnull=True)
        .values_list("tenant_id", "code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for tenant_id, code, count in rows:
        family.add_metric([slugs.get(tenant_id, str(tenant_id)), code], count)
    yield family


def _timers(now) -> Iterator[GaugeMetricFamily]:
    late = Timer.objects.filter(
        due_at__lt=now, fired_at__isnull=True, cancelled_at__isnull=True
    ).aggregate(n=Count("pk"), oldest=Min("due_at"))
    yield GaugeMetricFamily(
        "workflow_timers_overdue",
        "Timers past their due time and not fired yet (some wait for a suspended instance).",
        value=late["n"],
    )
    yield GaugeMetricFamily(
        "workflow_timers_overdue_max_seconds",
        "How late the latest overdue timer is: a stopped scheduler shows here first.",
        value=(now - late["oldest"]).total_seconds() if late["oldest"] else 0.0,
    )


def _workers(now) -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "workflow_worker_heartbeat_age_seconds",
        "Seconds since each worker last recorded its heartbeat.",
        labels=["worker"],
    )
    for hostname, seen_at in WorkerHeartbeat.objects.values_list("hostname", "seen_at"):
        family.add_metric([hostname], max(0.0, (now - seen_at).total_seconds()))
    yield family
