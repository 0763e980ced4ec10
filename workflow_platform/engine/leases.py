"""Leases: one and only one worker moves an instance at a time.

A claim takes a batch of ready instances atomically in the database (``SELECT ... FOR
UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers never wait on each other;
SQLite serialises writers, so the same statements are safe there), stamps them with
this worker's owner id and an expiry, and bumps each one's fencing token. Every later
commit is conditional on that token (:mod:`.journal`). An expired lease is simply
claimable again: the next worker starts from the last committed state.

In-flight instances are claimed before new starts (seed 002, "Workflow Scheduling").
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from workflow_platform.tenancy.scoping import all_tenants

from .models import Instance, Status


def new_owner() -> str:
    """A lease owner id unique to one claim: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.WORKFLOW_LEASE_SECONDS)


def _claimable(now, *, new: bool, ids=None):
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    query = Instance.objects.filter(free, ready=True)
    query = query.filter(status=Status.CREATED) if new else query.exclude(status=Status.CREATED)
    if ids is not None:
        query = query.filter(pk__in=ids)
    return query.order_by("-priority", "id")


def claim(*, limit: int, owner: str, ids=None, new: bool | None = None) -> list[Instance]:
    """Lease up to ``limit`` ready instances to ``owner``; return them (fences current).

    ``new`` None claims in-flight instances first, then new starts; True or False only
    one kind. ``ids`` restricts the claim to those instances.
    """
    now = timezone.now()
    expires = now + lease_duration()
    kinds = (False, True) if new is None else (new,)
    claimed: list[int] = []
    with all_tenants():
        for kind in kinds:
            wanted = limit - len(claimed)
            if wanted <= 0:
                break
            with transaction.atomic():
                found = list(
                    _claimable(now, new=kind, ids=ids)
                    .select_for_update(skip_locked=True)
                    .values_list("pk", flat=True)[:wanted]
                )
                if found:
                    Instance.objects.filter(pk__in=found).update(
                        lease_owner=owner, lease_expires_at=expires, fence=F("fence") + 1
                    )
            claimed.extend(found)
        if not claimed:
            return []
        rows = list(
            Instance.objects.filter(pk__in=claimed, lease_owner=owner)
            # The version without its document (machines are cached): receivers of the
            # engine's signals may read its number and the definition's key for free.
            .select_related("tenant", "definition", "version")
            .defer("version__document")
            .annotate(version_created_at=F("version__created_at"))
            .order_by("-priority", "id")
        )
    for inst in rows:
        inst.held_fence = inst.fence
    return rows


def renew(instances: list[Instance], *, owner: str) -> None:
    """Push the expiry of leases still held; instances whose lease was lost are dropped."""
    expires = timezone.now() + lease_duration()
    with all_tenants():
        for inst in instances:
            Instance.objects.filter(pk=inst.pk, fence=inst.held_fence).update(
                lease_expires_at=expires
            )
            inst.lease_expires_at = expires


def release(instances: list[Instance]) -> None:
    """Give back leases (the instances stay ready for the next claim)."""
    with all_tenants():
        for inst in instances:
            Instance.objects.filter(pk=inst.pk, fence=inst.held_fence).update(
                lease_owner="", lease_expires_at=None
            )
