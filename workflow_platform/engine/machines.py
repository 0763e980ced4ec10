"""Compiled machines and idempotency keys: what every layer above reads of a version."""

from __future__ import annotations

from functools import lru_cache

from workflow_platform.definitions.machine import Machine
from workflow_platform.definitions.models import Version
from workflow_platform.tenancy.scoping import all_tenants


def machine_of_version(version_id: int, created_at=None) -> Machine:
    """Published versions are immutable, so their compiled machine is cached per process.

    Keyed by id and creation time: an id that SQLite reuses after a delete is another
    version.
    """
    if created_at is None:
        with all_tenants():
            created_at = (
                Version.objects.filter(pk=version_id).values_list("created_at", flat=True).first()
            )
    return _compiled(version_id, created_at)


@lru_cache(maxsize=512)
def _compiled(version_id: int, created_at) -> Machine:
    with all_tenants():
        return Version.objects.get(pk=version_id).machine


def idempotency_key(instance_id: int, step: int) -> str:
    """The key every attempt of one step's action is called with (seed 002)."""
    return f"wi-{instance_id}-{step}"
