"""How demo "async jobs" finish: pending on the first poll, done from the second on.

A wait state polls the same action again and again, and the engine does not count a
poll as an attempt, so the poll count lives outside the call: in Django's cache, which
is Redis (shared by every worker) when ``REDIS_URL`` is set. In the embedded mode the
cache is per process, so each worker process may answer "pending" once: the job still
finishes, one poll later at most per process.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from ..base import ActionCall

POLL_MEMORY_SECONDS = 7 * 24 * 3600


def first_poll(call: ActionCall, job: str) -> bool:
    """True the first time this instance polls ``job``, False afterwards."""
    key = f"wi-demo-poll:{call.tenant_id}:{call.instance_id}:{job}"
    return cache.add(key, 1, timeout=POLL_MEMORY_SECONDS)


def derived_id(prefix: str, *parts: object) -> str:
    """A short stable identifier from ``parts`` (the same call gives the same id)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:10]
    return f"{prefix}-{digest}"
