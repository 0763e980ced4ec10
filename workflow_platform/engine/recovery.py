"""Database errors in a round: tried again later, an incident only when they persist.

A worker's round reads and writes the database all along (the claim, a saga's plan, the
limits' state, the commit). An ``OperationalError`` or ``InterfaceError`` there (the
server restarting, a failover, a broken connection, a deadlock, a statement timeout) is
no fault of the instance: the executor leaves the instance out of the round's commit,
gives its lease back with a growing delay (:func:`back_off`; it stays ready, so the lease
sweep nudges a worker once the delay has passed) and its step runs again from its last
commit, with the same idempotency key. Only an error that persists through
``DATABASE_TRIES`` tries in a row for one instance opens an incident (``database_error``).
The count is per worker process, a hint rather than a ledger: a success clears it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import InterfaceError, OperationalError, connection

from . import leases
from .models import Instance

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_TRIES = 5
_failures: dict[int, int] = {}  # instance id -> database errors in a row


def persists(inst: Instance, error: Exception) -> bool:
    """Count a database error against ``inst``; True once it is no longer transient."""
    if len(_failures) > 10_000:
        _failures.clear()
    tries = _failures[inst.pk] = _failures.get(inst.pk, 0) + 1
    if tries >= DATABASE_TRIES:
        _failures.pop(inst.pk, None)
        return True
    log.warning("instance %s: database error (try %s), again later: %s", inst.pk, tries, error)
    return False


def forget(instances: list[Instance]) -> None:
    """These were committed: their next database error starts a new count."""
    for inst in instances:
        _failures.pop(inst.pk, None)


def delay_after(tries: int) -> timedelta:
    """1, 2, 4, 8 s: a restart or a failover has time to finish before the next try."""
    return timedelta(seconds=min(60, 2 ** max(0, tries - 1)))


def back_off(instances: list[Instance]) -> None:
    """Give their leases back, claimable again after a delay; they stay ready."""
    for inst in instances:
        try:
            reconnect_if_broken()
            leases.release([inst], retry_in=delay_after(_failures.get(inst.pk, 1)))
        except DATABASE_ERRORS:  # still away: the lease simply lapses
            log.warning("could not give back the lease of instance %s", inst.pk)


def reconnect_if_broken() -> None:
    """Django keeps a connection that broke; drop it so the next query reconnects.

    Never inside a transaction (a caller's, or a test's): that one is the caller's to end.
    """
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
