"""Three worker processes share one dependency's limits, in Redis and in PostgreSQL.

Each test runs twice (``limits_backend``): with the state in Redis and with the
database backend on PostgreSQL. The processes are real OS processes started together;
what they observe is checked here, against the dependency's declared limits.
"""

from __future__ import annotations

import itertools
import math

import pytest

from workflow_platform.engine.limits import DependencyLimits, snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def busiest_second(times: list[float]) -> int:
    """Most admissions in any closed one-second window [t, t + 1]."""
    times = sorted(times)
    best, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] > 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def test_three_workers_together_never_exceed_tps_plus_burst_in_any_second(
    run_workers, make_tenant, dependency_name
):
    tenant = make_tenant()
    limits = {"name": dependency_name, "tps": 20, "burst": 5}
    seconds = 1.6
    reports = run_workers("rate", {"tenant_id": tenant.pk, "limits": limits, "seconds": seconds})

    admitted = sorted(t for report in reports for t in report["admitted"])
    asked = sum(report["asked"] for report in reports)
    assert asked >= 2 * len(admitted), "the workers did not press hard enough to test the limit"
    assert busiest_second(admitted) <= 20 + 5
    span = admitted[-1] - admitted[0]
    assert len(admitted) <= 5 + 20 * span + 1
    # Shared, not per process: together they get the dependency's rate, not three times it,
    # and every process got some of it.
    assert len(admitted) >= 20 * (seconds - 0.5)
    assert all(report["admitted"] for report in reports)


def test_a_failing_dependency_opens_the_breaker_for_all_workers_then_recovers_via_one_probe(
    run_workers, make_tenant, dependency_name
):
    tenant = make_tenant()
    threshold, recovery, heal_after = 5, 0.5, 1.2
    limits = {
        "name": dependency_name, "failure_threshold": threshold, "recovery_time": recovery,
    }  # fmt: skip
    config = {
        "tenant_id": tenant.pk, "limits": limits, "seconds": 2.4,
        "heal_after": heal_after, "call_seconds": 0.05,
    }  # fmt: skip
    reports = run_workers("breaker", config)

    calls = sorted((c for r in reports for c in r["calls"]), key=lambda c: c["start"])
    failed = [c for c in calls if not c["ok"]]
    # Until the breaker opens each process has at most one call in flight; after that only
    # probes, at most one per recovery time.
    probes_bound = math.floor(heal_after / recovery) + 1
    assert threshold <= len(failed) <= threshold + (len(reports) - 1) + probes_bound
    opened_at = min(r["first_open"] for r in reports if r["first_open"])
    probes = [c for c in failed if c["start"] > opened_at]
    assert 1 <= len(probes) <= probes_bound
    for earlier, later in itertools.pairwise(probes):
        assert later["start"] >= earlier["end"], "two half-open probes were in flight at once"
    # Healed: a probe succeeded, the breaker closed, and every worker calls again.
    healthy = [c for c in calls if c["ok"]]
    assert len(healthy) >= 10
    assert sum(1 for r in reports if any(c["ok"] for c in r["calls"])) == len(reports)
    state = snapshot(tenant_id=tenant.pk, dependency=DependencyLimits(**limits))
    assert (state["breaker"], state["failures"]) == ("closed", 0)


def test_a_bulkhead_of_ten_never_has_more_than_ten_calls_in_flight(
    run_workers, make_tenant, dependency_name
):
    tenant = make_tenant()
    limits = {"name": dependency_name, "concurrency": 10}
    config = {
        "tenant_id": tenant.pk, "limits": limits, "seconds": 1.5, "threads": 6,
        "counter_key": f"test:{dependency_name}:in-flight",
    }  # fmt: skip
    reports = run_workers("bulkhead", config)

    peak = max(report["peak"] for report in reports)
    # 18 threads in 3 processes compete for 10 slots: the bulkhead turns calls away and the
    # in-flight count measured outside the limiter never passes 10.
    assert sum(report["turned_away"] for report in reports) > 0
    assert peak <= 10
    assert peak >= 5 and sum(report["admitted"] for report in reports) >= 20
    state = snapshot(tenant_id=tenant.pk, dependency=DependencyLimits(**limits))
    assert state["in_flight"] == 0, "every finished call gave its slot back"
