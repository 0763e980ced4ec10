"""The Lua script in Redis and the database backend decide exactly as rules.py does.

rules.py is the specification, unit-tested with a fake clock; Redis runs the same rules
in Lua and the database backend runs rules.py on a locked row. Here one long random
scenario (admissions, outcomes, releases, Retry-After deferrals, with an explicit clock)
is played through all three, and every decision must be the same.
"""

from __future__ import annotations

import random
import uuid

import pytest
import redis
from django.conf import settings

from workflow_platform.engine.limits.database_backend import DatabaseLimits
from workflow_platform.engine.limits.policy import DependencyLimits
from workflow_platform.engine.limits.redis_backend import RedisLimits
from workflow_platform.engine.limits.rules import (
    LimitState,
    decide_admission,
    defer_calls,
    describe,
    free_slot,
    observe_result,
)

T0 = 1_800_000_000.0


class InMemory:
    """rules.py on a plain LimitState: the reference."""

    def __init__(self):
        self.state = LimitState()

    def admit(self, tenant_id, limits, now, slot):
        return decide_admission(self.state, limits, now, slot), now

    def release(self, tenant_id, limits, now, slot):
        free_slot(self.state, now, slot)

    def record_result(self, tenant_id, limits, now, ok):
        observe_result(self.state, limits, now, ok)

    def defer(self, tenant_id, limits, now, until):
        return defer_calls(self.state, limits, until)

    def load(self, tenant_id, limits, now):
        return self.state, now


def play(
    store, tenant_id: int, limits: DependencyLimits, steps: int, reports=0.2, ok_share=0.5, seed=7
) -> list:
    """Random admissions, outcomes (``reports`` of the steps, ``ok_share`` of them
    successes), releases and deferrals, on a clock that only the scenario moves."""
    rng = random.Random(seed)
    now, held, log = T0, [], []
    for step in range(steps):
        now += rng.expovariate(1 / 0.03)
        roll = rng.random()
        if roll < 0.6:
            slot = f"slot-{step}"
            decision, _ = store.admit(tenant_id, limits, now, slot)
            if decision.admitted:
                held.append(slot)
            log.append(("admit", decision.admitted, decision.reason, decision.retry_at))
        elif roll < 0.6 + reports:
            store.record_result(tenant_id, limits, now, rng.random() < ok_share)
        elif roll < 0.95:
            slot = held.pop(rng.randrange(len(held))) if held and rng.random() < 0.8 else None
            store.release(tenant_id, limits, now, slot)
        else:
            comeback = store.defer(tenant_id, limits, now, now + rng.uniform(0, 0.5))
            log.append(("defer", True, "", comeback))
    state, at = store.load(tenant_id, limits, now)
    view = describe(state, limits, at)
    log.append(("final", view["breaker"], view["in_flight"], view["tokens"]))
    return log


def same_decisions(actual: list, expected: list) -> bool:
    """Equal, except that times and token counts may differ by the microsecond that the
    backends round them to when they store them."""
    assert len(actual) == len(expected)
    for step, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert got[:3] == want[:3], f"step {step}: {got} != {want}"
        assert (got[3] is None) == (want[3] is None), f"step {step}: {got} != {want}"
        if want[3] is not None:
            assert got[3] == pytest.approx(want[3], abs=1e-3), f"step {step}: {got} != {want}"
    return True


@pytest.fixture
def limits():
    return DependencyLimits(
        name=f"parity-{uuid.uuid4().hex[:8]}", tps=20, burst=4, failure_threshold=3,
        recovery_time=0.3, half_open_probes=2, concurrency=3, hold_seconds=1.0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("reports", "ok_share"),
    # The second mix rarely reports back: half-open probes are lost and must be written off.
    [(0.2, 0.5), (0.03, 0.05)],
)
def test_redis_lua_decides_exactly_as_the_rules(limits, reports, ok_share):
    store = RedisLimits(settings.REDIS_URL)
    mix = {"steps": 1500, "reports": reports, "ok_share": ok_share}
    try:
        expected = play(InMemory(), 1, limits, **mix)
        assert same_decisions(play(store, 1, limits, **mix), expected)
        assert sum(1 for entry in expected if entry[:2] == ("admit", True)) > 100
        assert {entry[2] for entry in expected if entry[0] == "admit"} >= {
            "throttled", "circuit_open", "bulkhead_full",
        }  # fmt: skip
    finally:
        redis.Redis.from_url(settings.REDIS_URL).delete(*RedisLimits.keys(1, limits))


@pytest.mark.django_db
def test_the_database_backend_decides_exactly_as_the_rules(limits, make_tenant):
    tenant = make_tenant()
    # Fewer steps: each one is a PostgreSQL transaction.
    expected = play(InMemory(), tenant.pk, limits, steps=400)
    assert same_decisions(play(DatabaseLimits(), tenant.pk, limits, steps=400), expected)
