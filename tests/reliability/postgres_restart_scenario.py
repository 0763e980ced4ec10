"""PostgreSQL restarted with ``-m immediate`` under load: the scenario, run as its own
process (``python -m tests.reliability.postgres_restart_scenario``) against a private
cluster (private_postgres.py), because the test process's Django is bound to the shared
server's test database.

Workers and beat run a chain of HTTP steps against the effect server; mid-run the
cluster is stopped without a checkpoint (clients cut, the WAL replayed on start) and
started again 2 s later. Then the invariants: every instance completed, each step taken
by exactly one committed transition, each idempotency key's effect once, the history
replays. Exit status 0 when they hold; the reason on stderr otherwise.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import django

COUNT, STEPS = 30, 3


def main() -> int:
    from tests.reliability.private_postgres import PrivatePostgres

    cluster = PrivatePostgres(Path(tempfile.mkdtemp(prefix="wi-pg-"))).create()
    logs = Path(tempfile.mkdtemp(prefix="wi-pg-logs-"))
    os.environ["DATABASE_URL"] = cluster.url
    os.environ["WORKFLOW_LEASE_SECONDS"] = "3"  # leases cut with the restart lapse soon
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
    django.setup()
    try:
        return run(cluster, logs)
    finally:
        cluster.remove()
        shutil.rmtree(logs, ignore_errors=True)


def run(cluster, logs: Path) -> int:
    from django.core.management import call_command
    from django.db import OperationalError, connection

    from tests.factories import publish
    from tests.reliability.conftest import BeatProcess, EffectServer
    from tests.reliability.workflows import (
        all_completed,
        assert_one_transition_per_step,
        expected_keys,
        http_chain,
        loopback_tenant,
    )
    from tests.services import WorkerProcess
    from workflow_platform.engine import services

    call_command("migrate", verbosity=0)
    effects = EffectServer(delay=0.05)
    tenant = loopback_tenant()
    publish(tenant, http_chain("pg-restart", effects.url, steps=STEPS))
    items = [{"data": {"i": i}} for i in range(COUNT)]
    services.start_instances(tenant=tenant, definition_key="pg-restart", items=items)
    connection.close()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    workers = [WorkerProcess("steps,starts,timers", 2, logs).start()]
    beat = BeatProcess(logs, env).start()
    try:
        deadline = time.monotonic() + 60
        while len(effects.effects) < COUNT // 2:
            if time.monotonic() > deadline:
                raise AssertionError("the run never got going")
            time.sleep(0.05)
        cluster.stop_immediately()
        time.sleep(2)
        cluster.start()
        before = len(effects.effects)
        deadline = time.monotonic() + 120
        while True:
            try:
                if all_completed(tenant, COUNT):
                    break
            except OperationalError:
                connection.close()  # cut by the restart: the next try reconnects
            if time.monotonic() > deadline:
                raise AssertionError("work was lost with the restart")
            time.sleep(0.2)
        assert before < COUNT * STEPS, "the restart must hit a run in progress"
        assert set(effects.effects) == expected_keys(tenant, STEPS), "an effect is missing"
        assert_one_transition_per_step(tenant, STEPS)
        call_command("replay_history")
        assert all(worker.proc.poll() is None for worker in workers), "a worker died"
        print(f"ok: {COUNT} instances, restart after {before} effects", flush=True)
        return 0
    except AssertionError as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        for log in logs.glob("*.log"):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
        return 1
    finally:
        beat.stop()
        for worker in workers:
            worker.stop()
        effects.stop()


if __name__ == "__main__":
    sys.exit(main())
