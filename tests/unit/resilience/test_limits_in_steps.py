"""Steps ask the dependency's limits first; the tenant's Dependency row wins over the document."""

import pytest

from workflow_platform.definitions.models import Dependency
from workflow_platform.engine import admission, limits, services
from workflow_platform.engine.models import HistoryEvent, Timer
from workflow_platform.tenancy.scoping import tenant_scope

from . import callables


@pytest.fixture(autouse=True)
def clear(settings):
    settings.WORKFLOW_LIMITS_BACKEND = "database"
    admission._DEPENDENCY_ROWS.clear()
    callables.CALLS.clear()
    callables.FAILURES.clear()
    yield
    admission._DEPENDENCY_ROWS.clear()  # tenant ids are reused by the next test's database


def charging(key="pay"):
    return {
        "key": key,
        "initial": "new",
        "states": [{"name": "new"}, {"name": "paid", "kind": "final"}],
        "transitions": [{"from": "new", "to": "paid", "action": "charge"}],
        "actions": {"charge": {"type": "python", "params": {"callable": "resilience.charge"},
                               "dependency": "bank",
                               "retry": {"max_attempts": 5, "initial_interval": "1m"}}},
        # The document would let the bank fail 100 times before opening its breaker.
        "dependencies": {"bank": {"circuit_breaker": {"failure_threshold": 100}}},
    }  # fmt: skip


def test_an_open_breaker_of_the_tenants_row_parks_steps_without_calling(tenant_a, publish, work):
    with tenant_scope(tenant_a):
        Dependency.objects.create(
            tenant=tenant_a, name="bank", breaker_failure_threshold=1, breaker_recovery_seconds=300
        )
    version = publish(charging())
    callables.FAILURES["charge"] = 1
    first = services.start_instance(tenant=tenant_a, definition_key=version.definition.key, data={})
    work()
    second = services.start_instance(
        tenant=tenant_a, definition_key=version.definition.key, data={}
    )
    work()
    assert [name for name, _ in callables.CALLS] == ["charge"]  # the breaker opened after one
    held = HistoryEvent.objects.for_tenant(tenant_a).get(instance=second, type="action_failed")
    assert held.detail["code"] == "circuit_open"
    retry = Timer.objects.for_tenant(tenant_a).get(instance=second, kind="retry")
    assert retry.due_at > held.created_at  # a durable timer, not a sleeping worker
    assert first.pk != second.pk


def test_a_step_gives_back_its_own_bulkhead_slot_not_another_calls(tenant_a, publish, work):
    with tenant_scope(tenant_a):
        Dependency.objects.create(tenant=tenant_a, name="bank", concurrency_limit=3)
    version = publish(charging())
    bank = admission.limits_of(version.machine, "bank", tenant_a.pk)
    # Another worker's call to the bank is in flight, admitted before this step's.
    other = limits.admit(tenant_id=tenant_a.pk, dependency=bank)
    services.start_instance(tenant=tenant_a, definition_key=version.definition.key, data={})
    work()
    assert [name for name, _ in callables.CALLS] == ["charge"]
    assert limits.snapshot(tenant_id=tenant_a.pk, dependency=bank)["in_flight"] == 1
    limits.release(tenant_id=tenant_a.pk, dependency=bank, slot=other.slot)  # that call ends
    assert limits.snapshot(tenant_id=tenant_a.pk, dependency=bank)["in_flight"] == 0


def test_a_throttled_step_comes_back_when_the_limit_allows_not_after_the_retry_backoff(
    tenant_a, publish, work
):
    with tenant_scope(tenant_a):  # one call every two seconds; the retry backoff is 1 minute
        Dependency.objects.create(tenant=tenant_a, name="bank", rate_limit_tps=0.5)
    version = publish(charging())
    for _ in range(2):
        services.start_instance(tenant=tenant_a, definition_key=version.definition.key, data={})
    work()
    held = HistoryEvent.objects.for_tenant(tenant_a).get(type="action_failed")
    assert held.detail["code"] == "throttled"
    retry = Timer.objects.for_tenant(tenant_a).get(kind="retry")
    assert 0 < (retry.due_at - held.created_at).total_seconds() <= 2.5
