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

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q

from workflow_platform.tenancy.scoping import all_tenants

from .clock import database_now
from .models import Instance, Status

log = logging.getLogger(__name__)


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
    one kind. ``ids`` restricts the claim to those instances. An instance whose lease
    was lost since its last commit (``lost_leases``: its worker died) is claimed alone,
    so if it kills this worker too, it takes no other instance's lease with it.
    """
    now = database_now()  # lease times are the database's (clock.py)
    expires = now + lease_duration()
    kinds = (False, True) if new is None else (new,)
    claimed: list[int] = []
    with all_tenants():
        for kind in kinds:
            wanted = limit - len(claimed)
            if wanted <= 0:
                break
            with transaction.atomic():
                candidates = list(
                    _claimable(now, new=kind, ids=ids)
                    .select_for_update(skip_locked=True)
                    .values_list("pk", "lost_leases")[:wanted]
                )
                # A suspect runs alone: in a batch of its own, or not in this claim (the
                # others' row locks end with this transaction).
                suspect = next((pk for pk, lost in candidates if lost), None)
                if suspect is not None and claimed:
                    suspect, found = None, [pk for pk, lost in candidates if not lost]
                else:
                    found = [suspect] if suspect is not None else [pk for pk, _ in candidates]
                if found:
                    Instance.objects.filter(pk__in=found).update(
                        lease_owner=owner, lease_expires_at=expires, fence=F("fence") + 1
                    )
            claimed.extend(found)
            if suspect is not None:
                break
        if not claimed:
            return []
        rows: list[Instance] = list(
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


def renew(instances: list[Instance], *, owner: str) -> datetime | None:
    """Push the expiry of the leases ``owner`` still holds; the new expiry, or None.

    One statement. A lease counts as held while the row has this owner *and* the fence
    of the claim (anything that took the instance away bumped it or cleared the owner):
    a lost lease is never renewed, so fencing still decides who may commit.
    """
    held = [(inst.pk, inst.held_fence) for inst in instances if inst.lease_owner == owner]
    if not held:
        return None
    expires = database_now() + lease_duration()
    fenced = Q()
    for pk, fence in held:
        fenced |= Q(pk=pk, fence=fence)
    with all_tenants():
        renewed = Instance.objects.filter(fenced, lease_owner=owner).update(
            lease_expires_at=expires
        )
    return expires if renewed else None


class Heartbeat:
    """Renews a batch's leases from a thread of its own while the batch works.

    A batch runs its instances' actions one after another, each for up to
    ``WORKFLOW_MAX_ACTION_TIMEOUT`` (300 s), while a lease lasts
    ``WORKFLOW_LEASE_SECONDS`` (30 s): renewed only between rounds, leases expired
    under long actions and another worker ran the same instances at the same time.
    Every third of a lease this thread renews the leases the batch still holds
    (:func:`renew`: same owner, same fence), on its own database connection, closed
    when it stops. It never touches the instances in memory (the worker's thread is
    changing them); :meth:`stamp` hands the new expiry to a round's commit, which
    writes the lease columns. A worker that dies takes its heartbeat with it, so its
    leases expire and are taken over as before.
    """

    def __init__(self, *, owner: str, every: float | None = None) -> None:
        self.owner = owner
        self.every = every if every is not None else settings.WORKFLOW_LEASE_SECONDS / 3
        self.instances: list[Instance] = []
        self.expires: datetime | None = None  # the latest expiry written
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lease-heartbeat", daemon=True)

    def hold(self, instances: list[Instance]) -> None:
        """The instances the batch holds from now on (the next round's)."""
        self.instances = list(instances)

    def stamp(self, instances: list[Instance]) -> None:
        """Before a commit: give the leases it writes the latest renewed expiry."""
        expires = self.expires
        if expires is None:
            return
        for inst in instances:
            if inst.lease_owner == self.owner and (
                inst.lease_expires_at is None or inst.lease_expires_at < expires
            ):
                inst.lease_expires_at = expires

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.expires = renew(self.instances, owner=self.owner) or self.expires
                except Exception:  # the database is away: the leases may lapse, fencing holds
                    log.warning("could not renew the leases of %s", self.owner, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only


def release(instances: list[Instance], *, retry_in: timedelta | None = None) -> None:
    """Give back leases (the instances stay ready for the next claim).

    ``retry_in``: claimable again only after that long (the expiry stays ahead; the lease
    sweep nudges workers once it has passed).
    """
    expires = database_now() + retry_in if retry_in else None
    with all_tenants():
        for inst in instances:
            Instance.objects.filter(pk=inst.pk, fence=inst.held_fence).update(
                lease_owner="", lease_expires_at=expires
            )
