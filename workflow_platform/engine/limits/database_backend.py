"""Shared limits in the database, for the embedded mode (no Redis).

Each decision locks the dependency's ``DependencyState`` row, runs the rules of
rules.py on it and writes it back, in its own transaction: ``SELECT ... FOR UPDATE`` on
PostgreSQL, and on SQLite the write lock that the settings' ``IMMEDIATE`` transactions
take at ``BEGIN``. Two processes therefore never decide on the same state. Call it
outside a longer transaction of your own: the row stays locked until the outermost
transaction ends (docs/adr/0005-distributed-limits.md).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from django.db import IntegrityError, transaction

from workflow_platform.tenancy.models import Tenant

from .models import DependencyState
from .policy import DependencyLimits
from .rules import (
    LimitState,
    decide_admission,
    defer_calls,
    free_slot,
    observe_result,
)

_T = TypeVar("_T")

_FIELDS = ("tokens", "refilled_at", "breaker", "failures", "open_until", "probes",
           "probe_deadline", "deferred_until", "next_retry_at", "slots")  # fmt: skip
_TIMES = ("refilled_at", "open_until", "probe_deadline", "deferred_until", "next_retry_at")


def _epoch(value: datetime | None) -> float:
    return value.timestamp() if value else 0.0


def _datetime(value: float) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def to_state(row: DependencyState) -> LimitState:
    return LimitState(
        tokens=row.tokens,
        refilled_at=_epoch(row.refilled_at),
        breaker=row.breaker,
        failures=row.failures,
        open_until=_epoch(row.open_until),
        probes=row.probes,
        probe_deadline=_epoch(row.probe_deadline),
        deferred_until=_epoch(row.deferred_until),
        next_retry_at=_epoch(row.next_retry_at),
        slots={str(k): float(v) for k, v in (row.slots or {}).items()},
    )


def _store(row: DependencyState, state: LimitState) -> None:
    for name in _FIELDS:
        value = getattr(state, name)
        setattr(row, name, _datetime(value) if name in _TIMES else value)
    row.save(update_fields=[*_FIELDS, "updated_at"])


class DatabaseLimits:
    """The backend used when ``REDIS_URL`` is unset (or ``WORKFLOW_LIMITS_BACKEND=database``)."""

    name = "database"

    @staticmethod
    def _rows(tenant_id: int):
        # A pk-only Tenant is enough to scope the query; no need to load the row.
        return DependencyState.objects.for_tenant(Tenant(pk=tenant_id))

    def _locked(self, tenant_id: int, limits: DependencyLimits) -> DependencyState:
        rows = self._rows(tenant_id).select_for_update()
        try:
            return rows.get(dependency=limits.name)
        except DependencyState.DoesNotExist:
            pass
        try:
            with transaction.atomic():
                return DependencyState.objects.for_tenant(Tenant(pk=tenant_id)).create(
                    tenant_id=tenant_id, dependency=limits.name
                )
        except IntegrityError:  # another worker created it first: lock theirs
            return rows.get(dependency=limits.name)

    def _apply(
        self,
        tenant_id: int,
        limits: DependencyLimits,
        now: float | None,
        change: Callable[[LimitState, float], _T],
    ) -> tuple[_T, float]:
        with transaction.atomic():
            row = self._locked(tenant_id, limits)
            # Read the clock only once the lock is ours: a worker that waited for it must
            # not decide (or stamp its admission) with the time it started waiting.
            now = now if now is not None else datetime.now(tz=UTC).timestamp()
            state = to_state(row)
            result = change(state, now)
            _store(row, state)
        return result, now

    def admit(self, tenant_id: int, limits: DependencyLimits, now: float | None, slot: str):
        return self._apply(
            tenant_id, limits, now, lambda s, t: decide_admission(s, limits, t, slot)
        )

    def release(self, tenant_id: int, limits: DependencyLimits, now, slot: str | None) -> None:
        self._apply(tenant_id, limits, now, lambda s, t: free_slot(s, t, slot))

    def record_result(self, tenant_id: int, limits: DependencyLimits, now, ok: bool) -> None:
        self._apply(tenant_id, limits, now, lambda s, t: observe_result(s, limits, t, ok))

    def defer(self, tenant_id: int, limits: DependencyLimits, now, until: float) -> float:
        return self._apply(tenant_id, limits, now, lambda s, t: defer_calls(s, limits, until))[0]

    def load(self, tenant_id: int, limits: DependencyLimits, now: float | None):
        row = self._rows(tenant_id).filter(dependency=limits.name).first()
        at = now if now is not None else datetime.now(tz=UTC).timestamp()
        return (to_state(row) if row else LimitState()), at
