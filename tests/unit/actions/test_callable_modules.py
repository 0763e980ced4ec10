"""The test callables (noop, fail, flaky) exist only where WORKFLOW_CALLABLE_MODULES lists them."""

import json
import os
import subprocess
import sys

import pytest

# A fresh interpreter: what a process registers for its environment alone.
REGISTERED = """
import json
import django
django.setup()
from workflow_platform.actions.registry import callable_names
from workflow_platform.actions.base import ActionError
from workflow_platform.actions.registry import get_callable
try:
    get_callable("noop")
    refused = ""
except ActionError as error:
    refused = error.code
names = callable_names()
print(json.dumps({
    "test_callables": sorted(n for n in names if n in {"noop", "fail", "flaky"}),
    "demo": any(n.startswith("demo.") for n in names),
    "refused": refused,
}))
"""


def registered(tmp_path, **env_overrides) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "workflow_platform.settings"}
    env["WORKFLOW_VAR_DIR"] = str(tmp_path)
    for name in ("DATABASE_URL", "REDIS_URL", "WORKFLOW_CALLABLE_MODULES"):
        env.pop(name, None)
    env.update(env_overrides)
    result = subprocess.run(
        [sys.executable, "-c", REGISTERED], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_the_setting_tenants_get_the_demo_callables_but_no_test_callable(tmp_path):
    seen = registered(tmp_path)
    assert seen["test_callables"] == []
    assert seen["demo"] is True
    assert seen["refused"] == "unknown_callable"


def test_the_setting_loads_the_test_callables(tmp_path):
    seen = registered(
        tmp_path, WORKFLOW_CALLABLE_MODULES="workflow_platform.actions.testing_callables"
    )
    assert seen["test_callables"] == ["fail", "flaky", "noop"]
    assert seen["refused"] == ""


def test_a_module_that_does_not_exist_stops_the_process_with_its_name(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "workflow_platform.settings"}
    env.update(WORKFLOW_VAR_DIR=str(tmp_path), WORKFLOW_CALLABLE_MODULES="no_such.callables")
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "no_such" in result.stderr


@pytest.mark.parametrize("name", ["noop", "fail", "flaky"])
def test_this_test_run_has_them(name):
    from workflow_platform.actions.registry import get_callable

    assert get_callable(name).name == name
