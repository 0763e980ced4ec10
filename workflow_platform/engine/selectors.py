"""Reads of instances and their history; the tenant always comes first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from workflow_platform.errors import NotFound

from .machines import machine_of_version
from .models import BufferedEvent, HistoryEvent, Instance
from .sagas import plan_for

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

INSTANCE_FILTERS = ("definition", "status", "state", "business_key", "version", "has_incident")


def instances_for(tenant: Tenant, **filters) -> QuerySet[Instance]:
    """The tenant's instances, newest first, filtered by any of ``INSTANCE_FILTERS``.

    ``definition`` is a definition key; ``business_key`` matches a prefix; empty values
    are ignored.
    """
    query = Instance.objects.for_tenant(tenant).select_related("definition", "version")
    for name, value in filters.items():
        if value in (None, ""):
            continue
        if name == "definition":
            query = query.filter(definition__key=value)
        elif name == "business_key":
            query = query.filter(business_key__startswith=value)
        elif name == "version":
            query = query.filter(version_id=value)
        elif name in ("status", "state", "has_incident"):
            query = query.filter(**{name: value})
        else:
            raise TypeError(f"unknown instance filter '{name}'")
    return query.order_by("-created_at", "-id")


def instance_detail(tenant: Tenant, instance_id) -> Instance:
    """One instance of the tenant (NotFound otherwise, also for another tenant's)."""
    instance = (
        Instance.objects.for_tenant(tenant)
        .select_related("definition", "version", "parent")
        .filter(pk=instance_id)
        .first()
    )
    if instance is None:
        raise NotFound("instance_not_found", f"Instance {instance_id} does not exist.")
    return instance


def history_of(tenant: Tenant, instance_id) -> QuerySet[HistoryEvent]:
    """The instance's history in sequence order."""
    instance_detail(tenant, instance_id)
    return HistoryEvent.objects.for_tenant(tenant).filter(instance_id=instance_id).order_by("seq")


def events_sent_to(tenant: Tenant, instance_id) -> QuerySet[BufferedEvent]:
    """The events sent to the instance, oldest first: taken, queued or refused."""
    instance_detail(tenant, instance_id)
    return BufferedEvent.objects.for_tenant(tenant).filter(instance_id=instance_id).order_by("id")


def state_counts(tenant: Tenant, version_id) -> dict[str, int]:
    """How many live (not ended) instances of a version sit in each state."""
    rows = (
        Instance.objects.for_tenant(tenant)
        .filter(version_id=version_id)
        .exclude(status__in=["completed", "cancelled", "compensated"])
        .values("state")
        .annotate(n=Count("id"))
    )
    return {row["state"]: row["n"] for row in rows}


def instance_graph(tenant: Tenant, instance: Instance) -> dict:
    """What a page needs to draw ``instance`` on its version's graph: the version's
    states and transitions, the current state and the states it has been in."""
    document = instance.version.document or {}
    visited = set(
        HistoryEvent.objects.for_tenant(tenant)
        .filter(instance=instance)
        .values_list("to_state", flat=True)
    )
    return {
        "document": {
            "initial": document.get("initial", ""),
            "states": [s for s in document.get("states", []) if isinstance(s, dict)],
            "transitions": [t for t in document.get("transitions", []) if isinstance(t, dict)],
        },
        "current": instance.state,
        "visited": sorted(name for name in visited if name),
    }


def compensation_plan(tenant: Tenant, instance: Instance) -> list[dict]:
    """What cancelling ``instance`` with compensation would undo: the compensations of
    its completed steps, newest first (``{"step", "action", "compensation"}``); empty
    when none of them declares one (a cancel with compensation is then a plain cancel)."""
    instance_detail(tenant, instance.pk)  # the tenant's, or NotFound
    return plan_for(instance, machine_of_version(instance.version_id))
