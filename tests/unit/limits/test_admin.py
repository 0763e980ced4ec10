"""The admin of dependency states: each tenant admin sees only their own tenant's."""

from __future__ import annotations

import pytest

from workflow_platform.engine import limits
from workflow_platform.engine.limits import DependencyLimits
from workflow_platform.runtime.demo import _tenant_admins_group


@pytest.fixture(autouse=True)
def database_backend(settings):
    settings.WORKFLOW_LIMITS_BACKEND = "database"


def test_tenant_admin_sees_own_dependency_states_only(client, make_member, tenant_a, tenant_b):
    admin_user = make_member(tenant_a, role="admin", is_staff=True)
    admin_user.groups.add(_tenant_admins_group())
    for tenant, name in ((tenant_a, "bank-of-a"), (tenant_b, "bank-of-b")):
        dep = DependencyLimits(name=name, failure_threshold=1, concurrency=4)
        limits.admit(tenant_id=tenant.pk, dependency=dep)
        limits.record_result(tenant_id=tenant.pk, dependency=dep, ok=False)
    client.force_login(admin_user)

    response = client.get("/admin/engine/dependencystate/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "bank-of-a" in body and "Open" in body
    assert "bank-of-b" not in body
