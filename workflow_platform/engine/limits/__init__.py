"""Per-dependency limits shared by every worker: rate limit, circuit breaker, bulkhead.

The engine asks ``admit`` before it runs an action that names a dependency and gets an
``Admission`` at once: admitted, or not before ``retry_at`` (it then parks the step as a
durable timer; no worker ever sleeps on a limit). After the call it reports the outcome
with ``record_result`` (the breaker) and gives the bulkhead slot back with ``release``;
a 429 with Retry-After becomes ``defer``. ``snapshot`` is what admin and pages show.

State lives in Redis when ``REDIS_URL`` is set and in the database otherwise
(``WORKFLOW_LIMITS_BACKEND`` forces one); the rules are in rules.py, the reasons in
docs/adr/0005-distributed-limits.md and the user's view in docs/limits.md.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from django.conf import settings
from redis.exceptions import RedisError

from workflow_platform.errors import InvalidInput

from .policy import BULKHEAD_FULL, CIRCUIT_OPEN, THROTTLED, Admission, DependencyLimits
from .rules import describe

__all__ = [
    "BULKHEAD_FULL",
    "CIRCUIT_OPEN",
    "LIMITS_UNAVAILABLE",
    "MAX_DEFERRAL",
    "THROTTLED",
    "Admission",
    "DependencyLimits",
    "admit",
    "backend",
    "defer",
    "record_result",
    "release",
    "snapshot",
]

# A dependency's Retry-After is honoured up to this; a bogus "retry next year" must not
# freeze every workflow that uses it.
MAX_DEFERRAL = timedelta(hours=1)
# Redis unreachable: limits fail closed (no call goes out unchecked), steps come back then.
UNAVAILABLE_RETRY = timedelta(seconds=5)
LIMITS_UNAVAILABLE = "limits_unavailable"

log = logging.getLogger(__name__)

_backends: dict[tuple[str, str], Any] = {}


def backend():
    """This process's limits backend: Redis if configured, else the database."""
    choice = getattr(settings, "WORKFLOW_LIMITS_BACKEND", "") or (
        "redis" if settings.REDIS_URL else "database"
    )
    key = (choice, settings.REDIS_URL)
    if key not in _backends:
        if choice == "redis":
            if not settings.REDIS_URL:
                raise InvalidInput(
                    "limits_backend_unavailable",
                    "WORKFLOW_LIMITS_BACKEND is 'redis' but REDIS_URL is not set.",
                )
            from .redis_backend import RedisLimits  # each backend builds on this module

            _backends[key] = RedisLimits(settings.REDIS_URL)
        elif choice == "database":
            from .database_backend import DatabaseLimits  # (an import cycle at top)

            _backends[key] = DatabaseLimits()
        else:
            raise InvalidInput(
                "limits_backend_unknown",
                f"WORKFLOW_LIMITS_BACKEND must be 'redis' or 'database', not '{choice}'.",
            )
    return _backends[key]


@overload
def _epoch(moment: datetime) -> float: ...
@overload
def _epoch(moment: datetime | None) -> float | None: ...
def _epoch(moment: datetime | None) -> float | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise InvalidInput("invalid_time", "Limits need timezone-aware datetimes.")
    return moment.timestamp()


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch else None


@contextmanager
def _reported_if_unavailable(verb: str, limits: DependencyLimits) -> Iterator[None]:
    """A report that cannot reach Redis is logged, not raised: the call it reports on has
    already happened, a lost slot expires by itself, and a lost breaker result or
    Retry-After only makes the limits a little less informed, never a step fail."""
    try:
        yield
    except RedisError as error:
        log.warning(
            "limits %s for %s not recorded (Redis unavailable): %s", verb, limits.name, error
        )


def _check(dependency: Any) -> DependencyLimits:
    if not isinstance(dependency, DependencyLimits):
        raise TypeError(
            "dependency must be a DependencyLimits (use DependencyLimits.from_model or "
            f".from_machine), not {type(dependency).__name__}"
        )
    return dependency


def admit(
    *, tenant_id: int, dependency: DependencyLimits | None, now: datetime | None = None
) -> Admission:
    """May a call to ``dependency`` start now? Never blocks, never raises for a limit.

    Admitted: a token (and a bulkhead slot, and a half-open probe) is taken; give the slot
    back with ``release(slot=admission.slot)`` and report the outcome with
    ``record_result``. Not admitted: ``retry_at`` says when to ask again and ``reason``
    why. ``dependency=None`` (an action without one) is always admitted. One atomic step
    on the shared state. Redis unreachable: not admitted, reason ``limits_unavailable``,
    retry in ``UNAVAILABLE_RETRY`` (limits never fail open).
    """
    if dependency is None:
        return Admission(True)
    limits = _check(dependency)
    slot = uuid.uuid4().hex if limits.concurrency else ""
    try:
        decision, at = backend().admit(int(tenant_id), limits, _epoch(now), slot)
    except RedisError as error:
        log.warning("limits of %s unavailable, holding the call: %s", limits.name, error)
        retry_at = (now or datetime.now(tz=UTC)) + UNAVAILABLE_RETRY
        return Admission(False, retry_at=retry_at, reason=LIMITS_UNAVAILABLE)
    return Admission(
        admitted=decision.admitted,
        retry_at=_moment(decision.retry_at),
        reason=decision.reason,
        slot=slot if decision.admitted else "",
        decided_at=_moment(at),
    )


def release(
    *,
    tenant_id: int,
    dependency: DependencyLimits | None,
    slot: str | None = None,
    now: datetime | None = None,
) -> None:
    """Give back the bulkhead slot of a finished call (the named one, else the oldest).

    Idempotent for a named slot: releasing it twice, or after it expired, changes nothing.
    """
    if dependency is None or not _check(dependency).concurrency:
        return
    with _reported_if_unavailable("release", dependency):
        backend().release(int(tenant_id), dependency, _epoch(now), slot)


def record_result(
    *, tenant_id: int, dependency: DependencyLimits | None, ok: bool, now: datetime | None = None
) -> None:
    """Feed one admitted call's outcome to the breaker shared by every worker.

    A failure is what should count against the dependency's health (an error or a
    timeout); a 429 is not a failure, it is ``defer``. Results while the breaker is open
    are ignored (they belong to calls admitted before it opened).
    """
    if dependency is None or not _check(dependency).failure_threshold:
        return
    with _reported_if_unavailable("record_result", dependency):
        backend().record_result(int(tenant_id), dependency, _epoch(now), bool(ok))


def defer(
    *,
    tenant_id: int,
    dependency: DependencyLimits | None,
    until: datetime,
    now: datetime | None = None,
) -> datetime | None:
    """Nobody calls ``dependency`` before ``until`` (a 429's Retry-After), capped at
    ``MAX_DEFERRAL`` from now. A later ``until`` than the current one extends the
    deferral, an earlier one changes nothing.

    Returns when the caller (the call that was answered 429) should come back: the end
    of the deferral, or with a rate limit one token-interval apart from every other
    caller held by it, so they do not all return at one instant and lose to each other.
    Redis unreachable: the end of the deferral asked for.
    """
    if dependency is None:
        return None
    limits = _check(dependency)
    until_epoch = _epoch(until)
    if until_epoch is None:
        raise InvalidInput("invalid_time", "defer needs the time until which to hold calls.")
    cap = _epoch(now or datetime.now(tz=UTC)) + MAX_DEFERRAL.total_seconds()
    until_epoch = min(until_epoch, cap)
    comeback = until_epoch
    with _reported_if_unavailable("defer", limits):
        comeback = backend().defer(int(tenant_id), limits, _epoch(now), until_epoch)
    return _moment(comeback)


def snapshot(*, tenant_id: int, dependency: DependencyLimits, now: datetime | None = None) -> dict:
    """The dependency's shared state for admin and pages (read only, nothing taken).

    Keys: dependency, backend, tps, burst, tokens (left now), breaker (closed | open |
    half_open, None without a breaker), failures, failure_threshold, open_until,
    probes_in_flight, in_flight, concurrency, deferred_until (datetimes or None).
    """
    limits = _check(dependency)
    store = backend()
    state, at = store.load(int(tenant_id), limits, _epoch(now))
    view = describe(state, limits, at)
    for key in ("open_until", "deferred_until"):
        view[key] = _moment(view[key])
    view["backend"] = store.name
    return view
