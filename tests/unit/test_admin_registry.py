"""The admin shows the engine's limit state and each dependency's live usage."""

import os
import subprocess
import sys

import pytest

from workflow_platform.definitions.models import Dependency
from workflow_platform.runtime.demo import _tenant_admins_group

# A fresh interpreter: what the running app registers, whatever this test run imported.
FRESH_REGISTRY = """
import django
django.setup()
from django.contrib import admin
from workflow_platform.definitions.models import Dependency
from workflow_platform.engine.limits.models import DependencyState
print(admin.site.is_registered(DependencyState))
print("limit_usage" in admin.site._registry[Dependency].list_display)
"""


def test_dependency_state_admin_is_registered_by_the_running_app(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "workflow_platform.settings"}
    env["WORKFLOW_VAR_DIR"] = str(tmp_path)
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", FRESH_REGISTRY], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


@pytest.fixture
def ada(tenant_a, make_member, settings):
    settings.WORKFLOW_LIMITS_BACKEND = "database"
    user = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


def test_dependency_admin_shows_live_limit_usage(client, ada, tenant_a):
    Dependency.objects.for_tenant(tenant_a).create(
        tenant=tenant_a, name="bank", concurrency_limit=3, breaker_failure_threshold=2
    )
    client.force_login(ada)
    body = client.get("/admin/definitions/dependency/").content.decode()
    assert "Limit usage" in body
    assert "0/3 in flight" in body
    assert client.get("/admin/engine/dependencystate/").status_code == 200
