"""Dependencies through the API: designers and admins tune the limits every worker shares."""

from __future__ import annotations

import pytest

from workflow_platform.definitions.models import Dependency
from workflow_platform.engine.limits import DependencyLimits


@pytest.fixture
def payments(tenant_a):
    return Dependency.objects.create(
        tenant=tenant_a, name="payments", rate_limit_tps=5, rate_limit_burst=10
    )


@pytest.mark.parametrize("role", ["designer", "admin"])
def test_designers_and_admins_tune_a_dependencys_limits(tenant_a, api_as, payments, role):
    response = api_as(tenant_a, role).patch(
        f"/api/dependencies/{payments.pk}/",
        {"rate_limit_tps": 2.5, "breaker_failure_threshold": 3, "concurrency_limit": 4},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["rate_limit_tps"], body["rate_limit_burst"]) == (2.5, 10)  # burst kept
    assert (body["breaker_failure_threshold"], body["concurrency_limit"]) == (3, 4)
    assert "live" in body
    payments.refresh_from_db()
    limits = DependencyLimits.from_model(payments)
    assert (limits.tps, limits.failure_threshold, limits.concurrency) == (2.5, 3, 4)


def test_null_turns_a_limit_off(tenant_a, api_as, payments):
    response = api_as(tenant_a, "designer").patch(
        f"/api/dependencies/{payments.pk}/",
        {"rate_limit_tps": None, "rate_limit_burst": None},
        format="json",
    )
    assert response.status_code == 200
    assert DependencyLimits.from_model(Dependency.objects.for_tenant(tenant_a).get()).tps is None


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_only_read_dependencies(tenant_a, api_as, payments, role):
    client = api_as(tenant_a, role)
    assert client.get(f"/api/dependencies/{payments.pk}/").status_code == 200
    refused = client.patch(
        f"/api/dependencies/{payments.pk}/", {"rate_limit_tps": 1}, format="json"
    )
    assert refused.status_code == 403
    payments.refresh_from_db()
    assert payments.rate_limit_tps == 5


@pytest.mark.parametrize(
    "limits",
    [
        {"rate_limit_tps": -1},
        {"rate_limit_burst": 1.5},
        {"breaker_recovery_seconds": 10**9},
        {"concurrency_limit": "many"},
        {"rate_limit_tps": None, "rate_limit_burst": 3},
    ],
)
def test_bad_limits_are_a_400_and_change_nothing(tenant_a, api_as, payments, limits):
    response = api_as(tenant_a, "admin").patch(
        f"/api/dependencies/{payments.pk}/", limits, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    payments.refresh_from_db()
    assert (payments.rate_limit_tps, payments.rate_limit_burst) == (5, 10)


def test_another_tenants_dependency_is_404_and_unchanged(tenant_a, tenant_b, api_as, payments):
    response = api_as(tenant_b, "admin").patch(
        f"/api/dependencies/{payments.pk}/", {"rate_limit_tps": 1000}, format="json"
    )
    assert response.status_code == 404
    payments.refresh_from_db()
    assert payments.rate_limit_tps == 5


def test_a_dependency_is_neither_replaced_nor_deleted_through_the_api(tenant_a, api_as, payments):
    client = api_as(tenant_a, "admin")
    assert client.put(f"/api/dependencies/{payments.pk}/", {}, format="json").status_code == 405
    assert client.delete(f"/api/dependencies/{payments.pk}/").status_code == 405
