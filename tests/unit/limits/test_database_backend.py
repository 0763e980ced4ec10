"""The public limits API on the embedded default: state in the database (SQLite here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workflow_platform.engine import limits
from workflow_platform.engine.limits import DependencyLimits
from workflow_platform.engine.limits.admin import DependencyUsageAdminMixin
from workflow_platform.engine.limits.models import DependencyState
from workflow_platform.engine.limits.selectors import dependency_usage
from workflow_platform.errors import InvalidInput
from workflow_platform.tenancy.scoping import tenant_scope

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
BANK = DependencyLimits(
    name="bank", tps=2, burst=2, failure_threshold=2, recovery_time=30, concurrency=3
)


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.WORKFLOW_LIMITS_BACKEND = "database"


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_embedded_mode_keeps_the_state_in_the_database(settings):
    settings.WORKFLOW_LIMITS_BACKEND = ""
    settings.REDIS_URL = ""
    assert limits.backend().name == "database"


def test_throttled_admission_says_why_and_when_to_come_back(tenant_a):
    answers = [limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(0)) for _ in range(3)]
    assert [a.admitted for a in answers] == [True, True, False]
    assert (answers[2].reason, answers[2].retry_at) == ("throttled", at(0.5))
    assert answers[0].slot and answers[0].decided_at == at(0)


def test_state_is_one_row_per_tenant_dependency(tenant_a):
    for _ in range(5):
        limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(0))
    with tenant_scope(tenant_a):
        row = DependencyState.objects.get()
    assert (row.dependency, row.tokens, len(row.slots)) == ("bank", 0.0, 2)


def test_one_tenants_limits_never_touch_anothers(tenant_a, tenant_b):
    for _ in range(2):
        limits.record_result(tenant_id=tenant_a.pk, dependency=BANK, ok=False, now=at(0))
    assert limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(1)).reason == "circuit_open"
    assert limits.admit(tenant_id=tenant_b.pk, dependency=BANK, now=at(1)).admitted


def test_breaker_opens_then_a_probe_closes_it(tenant_a):
    for _ in range(2):
        limits.record_result(tenant_id=tenant_a.pk, dependency=BANK, ok=False, now=at(0))
    shut = limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(10))
    assert (shut.admitted, shut.reason, shut.retry_at) == (False, "circuit_open", at(30))
    probe = limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(30))
    assert probe.admitted
    assert not limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(30.1)).admitted
    limits.record_result(tenant_id=tenant_a.pk, dependency=BANK, ok=True, now=at(31))
    view = limits.snapshot(tenant_id=tenant_a.pk, dependency=BANK, now=at(31))
    assert (view["breaker"], view["failures"], view["backend"]) == ("closed", 0, "database")


def test_released_slot_lets_the_next_call_in(tenant_a):
    wide = DependencyLimits(name="bank", concurrency=1)
    first = limits.admit(tenant_id=tenant_a.pk, dependency=wide, now=at(0))
    full = limits.admit(tenant_id=tenant_a.pk, dependency=wide, now=at(0))
    assert full.reason == "bulkhead_full"
    limits.release(tenant_id=tenant_a.pk, dependency=wide, slot=first.slot, now=at(1))
    assert limits.admit(tenant_id=tenant_a.pk, dependency=wide, now=at(1)).admitted


def test_retry_after_holds_every_caller_and_is_capped(tenant_a):
    comeback = limits.defer(tenant_id=tenant_a.pk, dependency=BANK, until=at(3 * 86400), now=at(0))
    honoured = at(limits.MAX_DEFERRAL.total_seconds())
    # The caller answered 429 is first in line, a token-interval (0.5 s) after the end.
    assert comeback == honoured + timedelta(seconds=0.5)
    held = limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(60))
    assert (held.admitted, held.reason) == (False, "throttled")
    assert held.retry_at == comeback + timedelta(seconds=0.5)  # next in line
    view = limits.snapshot(tenant_id=tenant_a.pk, dependency=BANK, now=at(60))
    assert view["deferred_until"] == honoured


def test_snapshot_of_an_unused_dependency_is_a_full_bucket_and_closed_breaker(tenant_a):
    view = limits.snapshot(tenant_id=tenant_a.pk, dependency=BANK, now=at(0))
    assert (view["tokens"], view["breaker"], view["in_flight"], view["open_until"]) == (
        2.0, "closed", 0, None,
    )  # fmt: skip
    assert not DependencyState.objects.for_tenant(tenant_a).exists()


def test_an_action_without_a_dependency_is_always_admitted(tenant_a):
    assert limits.admit(tenant_id=tenant_a.pk, dependency=None).admitted


def test_naive_datetimes_are_refused(tenant_a):
    with pytest.raises(InvalidInput, match="timezone-aware"):
        limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=datetime(2027, 1, 1))


def test_an_unknown_backend_setting_is_a_clear_error(settings):
    settings.WORKFLOW_LIMITS_BACKEND = "memcached"
    with pytest.raises(InvalidInput, match="'redis' or 'database'"):
        limits.backend()


def test_pages_and_admin_show_each_dependencys_usage(tenant_a):
    from workflow_platform.definitions.models import Dependency

    row = Dependency.objects.for_tenant(tenant_a).create(
        tenant=tenant_a, name="bank", rate_limit_tps=2, rate_limit_burst=2,
        breaker_failure_threshold=2, breaker_recovery_seconds=30, concurrency_limit=3,
    )  # fmt: skip
    limits.admit(tenant_id=tenant_a.pk, dependency=DependencyLimits.from_model(row))
    (view,) = dependency_usage(tenant_a)
    assert view["dependency"] == "bank" and view["in_flight"] == 1
    assert "1/3 in flight" in view["summary"] and "breaker closed" in view["summary"]
    assert "1/3 in flight" in DependencyUsageAdminMixin().limit_usage(row)


def test_unreachable_redis_holds_the_call_and_never_fails_open(settings, tenant_a):
    settings.WORKFLOW_LIMITS_BACKEND = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # discard port: nothing listens
    held = limits.admit(tenant_id=tenant_a.pk, dependency=BANK, now=at(0))
    assert (held.admitted, held.reason) == (False, "limits_unavailable")
    assert held.retry_at == at(limits.UNAVAILABLE_RETRY.total_seconds())
    # Reports after a call cannot fail the step that made it.
    limits.record_result(tenant_id=tenant_a.pk, dependency=BANK, ok=False)
    limits.release(tenant_id=tenant_a.pk, dependency=BANK, slot="any")
    limits.defer(tenant_id=tenant_a.pk, dependency=BANK, until=at(10), now=at(0))
