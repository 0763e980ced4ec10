"""The embedded mode: three processes share one dependency's limits through SQLite.

No PostgreSQL and no Redis for the limits here: the processes run the embedded default
(a SQLite file, migrated for this test) with the database backend, as ``./run`` does.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.integration.limits.conftest import HammerPool
from tests.integration.limits.test_shared_limits import busiest_second
from tests.services import ROOT

PREPARE = """
import django
django.setup()
from django.core.management import call_command
from workflow_platform.tenancy.services import create_tenant
call_command("migrate", verbosity=0)
print(create_tenant(slug="embedded", name="Embedded").pk)
"""


def test_three_processes_on_sqlite_never_exceed_tps_plus_burst(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        WORKFLOW_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="workflow_platform.settings",
        WORKFLOW_LIMITS_BACKEND="database",
    )
    prepared = subprocess.run(
        [sys.executable, "-c", PREPARE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    tenant_id = int(prepared.stdout.split()[-1])
    pool = HammerPool("database", env=env)
    try:
        limits = {"name": "embedded-bank", "tps": 20, "burst": 5}
        reports = pool.run("rate", {"tenant_id": tenant_id, "limits": limits, "seconds": 1.5})
    finally:
        pool.stop()

    admitted = sorted(t for report in reports for t in report["admitted"])
    assert sum(report["asked"] for report in reports) >= 2 * len(admitted)
    assert busiest_second(admitted) <= 20 + 5
    assert len(admitted) >= 20 * 1.0
