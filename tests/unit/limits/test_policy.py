"""DependencyLimits: built from a tenant's dependency row or a document, bad values refused."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from workflow_platform.definitions.machine import Dependency
from workflow_platform.engine.limits import DependencyLimits
from workflow_platform.errors import InvalidInput


def test_from_machine_reads_a_documents_declaration():
    declared = Dependency(
        name="bank", tps=5, burst=10, failure_threshold=3,
        recovery_time=timedelta(seconds=45), concurrency=4,
    )  # fmt: skip
    limits = DependencyLimits.from_machine(declared)
    assert (limits.tps, limits.burst, limits.failure_threshold) == (5.0, 10, 3)
    assert (limits.recovery_time, limits.concurrency, limits.half_open_probes) == (45.0, 4, 1)


def test_from_model_reads_a_tenant_dependency_row():
    row = SimpleNamespace(
        name="bank", rate_limit_tps=2.5, rate_limit_burst=None,
        breaker_failure_threshold=None, breaker_recovery_seconds=None, concurrency_limit=10,
    )  # fmt: skip
    limits = DependencyLimits.from_model(row)
    assert (limits.tps, limits.capacity, limits.failure_threshold) == (2.5, 1, None)
    assert limits.concurrency == 10


def test_a_dependency_without_limits_enforces_nothing():
    assert not DependencyLimits(name="free").enforces_anything


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("tps", -1, "greater than zero"),
        ("tps", "fast", "must be a number"),
        ("concurrency", 2.5, "whole number"),
        ("failure_threshold", True, "must be a number"),
        ("burst", 0, "greater than zero"),
    ],
)
def test_bad_limits_are_refused_with_a_clear_message(field, value, words):
    with pytest.raises(InvalidInput) as raised:
        DependencyLimits(name="bank", **{"tps": 1, field: value})
    assert raised.value.code == "invalid_dependency_limits"
    assert words in raised.value.message and "bank" in raised.value.message


def test_burst_without_a_rate_is_refused():
    with pytest.raises(InvalidInput, match="burst needs tps"):
        DependencyLimits(name="bank", burst=5)


def test_a_nameless_dependency_is_refused():
    with pytest.raises(InvalidInput, match="name"):
        DependencyLimits(name=" ")
