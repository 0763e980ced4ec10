"""Dependencies through the API: declared limits and the live state workers share
(the Redis limits backend, as in production)."""

from __future__ import annotations

import copy

from tests.unit.api.conftest import APPROVAL, api_as, fast_passwords  # noqa: F401 - fixtures
from workflow_platform.definitions.models import Dependency
from workflow_platform.engine.limits import DependencyLimits, record_result


def test_publishing_declares_a_dependency_whose_live_breaker_state_is_shown(
    tenant_a,
    api_as,  # noqa: F811
):
    document = {"format": "workflow-island/v1", **copy.deepcopy(APPROVAL)}
    document["dependencies"] = {
        "payments": {
            "rate_limit": {"tps": 5, "burst": 10},
            "circuit_breaker": {"failure_threshold": 2, "recovery_time": "30s"},
        }
    }
    designer = api_as(tenant_a, "designer")
    version = designer.post(
        "/api/definitions/", {"key": "approval", "name": "A", "document": document}, format="json"
    ).json()
    assert designer.post(f"/api/versions/{version['id']}/publish/").status_code == 200

    viewer = api_as(tenant_a, "viewer")
    (listed,) = viewer.get("/api/dependencies/").json()["results"]
    assert (listed["name"], listed["rate_limit_tps"], listed["breaker_failure_threshold"]) == (
        "payments", 5, 2,
    )  # fmt: skip
    assert listed["live"]["breaker"] == "closed"

    row = Dependency.objects.for_tenant(tenant_a).get(name="payments")
    for _ in range(2):
        record_result(tenant_id=tenant_a.pk, dependency=DependencyLimits.from_model(row), ok=False)
    live = viewer.get(f"/api/dependencies/{row.pk}/").json()["live"]
    assert live["breaker"] == "open"
    assert live["open_until"] is not None
    assert "breaker open" in live["summary"]


def test_dependencies_are_read_only(tenant_a, api_as):  # noqa: F811
    assert api_as(tenant_a).post("/api/dependencies/", {}, format="json").status_code == 405
