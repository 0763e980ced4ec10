"""What a dependency allows, and the answer a worker gets when it asks to call it.

``DependencyLimits`` is the validated, backend-independent description of one tenant
dependency's limits: a token bucket (``tps`` refill, ``burst`` capacity), a circuit
breaker (``failure_threshold`` consecutive failures open it for ``recovery_time``
seconds, then ``half_open_probes`` calls may test it) and a bulkhead (``concurrency``
calls in flight). A limit left ``None`` is not enforced. ``Admission`` is what
``limits.admit`` returns: admitted now, or not before ``retry_at`` (the engine turns
that into a durable timer; nothing ever sleeps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from workflow_platform.errors import InvalidInput

THROTTLED = "throttled"
CIRCUIT_OPEN = "circuit_open"
BULKHEAD_FULL = "bulkhead_full"

DEFAULT_RECOVERY_SECONDS = 30.0


def default_hold_seconds() -> float:
    """How long an admitted call may hold a bulkhead slot or a half-open probe.

    Twice the longest action timeout: a worker that is killed mid-call loses its slot
    after this, and a live call is never cut short by it.
    """
    return float(settings.WORKFLOW_MAX_ACTION_TIMEOUT) * 2


def _positive(value: Any, field: str, name: str, *, integer: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidInput(
            "invalid_dependency_limits", f"Dependency '{name}': {field} must be a number."
        )
    if integer and int(value) != value:
        raise InvalidInput(
            "invalid_dependency_limits", f"Dependency '{name}': {field} must be a whole number."
        )
    if value <= 0 or math.isinf(value):
        raise InvalidInput(
            "invalid_dependency_limits",
            f"Dependency '{name}': {field} must be greater than zero (leave it out for no limit).",
        )
    return int(value) if integer else float(value)


@dataclass(frozen=True)
class DependencyLimits:
    """The limits of one dependency; ``None`` means that limit is off."""

    name: str
    tps: float | None = None
    burst: int | None = None
    failure_threshold: int | None = None
    recovery_time: float = DEFAULT_RECOVERY_SECONDS  # seconds the breaker stays open
    half_open_probes: int = 1
    concurrency: int | None = None
    hold_seconds: float | None = None  # None: default_hold_seconds()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 200:
            raise InvalidInput(
                "invalid_dependency_limits", "A dependency needs a name of 1 to 200 characters."
            )
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "tps", _positive(self.tps, "tps", self.name, integer=False))
        set_(self, "burst", _positive(self.burst, "burst", self.name, integer=True))
        set_(
            self,
            "failure_threshold",
            _positive(self.failure_threshold, "failure_threshold", self.name, integer=True),
        )
        recovery = _positive(self.recovery_time, "recovery_time", self.name, integer=False)
        set_(self, "recovery_time", recovery or DEFAULT_RECOVERY_SECONDS)
        probes = _positive(self.half_open_probes, "half_open_probes", self.name, integer=True)
        set_(self, "half_open_probes", probes or 1)
        set_(
            self, "concurrency", _positive(self.concurrency, "concurrency", self.name, integer=True)
        )
        hold = _positive(self.hold_seconds, "hold_seconds", self.name, integer=False)
        set_(self, "hold_seconds", hold or default_hold_seconds())
        if self.burst is not None and self.tps is None:
            raise InvalidInput(
                "invalid_dependency_limits",
                f"Dependency '{self.name}': burst needs tps (the bucket's refill rate).",
            )

    @property
    def capacity(self) -> int:
        """Tokens the bucket holds when full: the burst, or 1 for a smooth rate."""
        return self.burst or 1

    @property
    def enforces_anything(self) -> bool:
        return bool(self.tps or self.failure_threshold or self.concurrency)

    @classmethod
    def from_model(cls, dep_row: Any) -> DependencyLimits:
        """From a tenant's ``definitions.Dependency`` row (the row wins over documents).

        An empty field or 0 means that limit is off.
        """
        return cls(
            name=dep_row.name,
            tps=dep_row.rate_limit_tps or None,
            burst=(dep_row.rate_limit_burst or None) if dep_row.rate_limit_tps else None,
            failure_threshold=dep_row.breaker_failure_threshold or None,
            recovery_time=dep_row.breaker_recovery_seconds or DEFAULT_RECOVERY_SECONDS,
            concurrency=dep_row.concurrency_limit or None,
        )

    @classmethod
    def from_machine(cls, machine_dependency: Any) -> DependencyLimits:
        """From a compiled ``definitions.machine.Dependency`` (a document's declaration)."""
        recovery = machine_dependency.recovery_time
        if isinstance(recovery, timedelta):
            recovery = recovery.total_seconds()
        return cls(
            name=machine_dependency.name,
            tps=machine_dependency.tps,
            burst=machine_dependency.burst,
            failure_threshold=machine_dependency.failure_threshold,
            recovery_time=recovery or DEFAULT_RECOVERY_SECONDS,
            concurrency=machine_dependency.concurrency,
        )


@dataclass(frozen=True)
class Admission:
    """The answer to "may I call this dependency now?".

    ``slot`` names the bulkhead slot taken (pass it to ``release``); ``decided_at`` is
    the limiter's clock at the decision (Redis server time with the Redis backend).
    """

    admitted: bool
    retry_at: datetime | None = None
    reason: str = ""  # "throttled" | "circuit_open" | "bulkhead_full" | "limits_unavailable" | ""
    slot: str = ""
    decided_at: datetime | None = None

    def __bool__(self) -> bool:
        return self.admitted
