"""More of the fault catalogue (docs/reliability.md), each injected mid-run on real workers.

Every spec checks the same invariants afterwards: every instance completed, each step
taken by exactly one committed transition with a gapless history, each idempotency key's
effect once at the effect server, and a replay of the history finding no difference.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.factories import publish
from tests.services import ROOT, database_url
from tests.tcp_proxy import TcpProxy
from workflow_platform.engine import services
from workflow_platform.engine.models import Incident, Instance
from workflow_platform.tenancy.scoping import tenant_scope

from .conftest import wait_for
from .workflows import (
    all_completed,
    assert_one_transition_per_step,
    assert_replay_finds_no_difference,
    expected_keys,
    http_chain,
    loopback_tenant,
)


def start_chain(effect_server, key: str, *, count: int, steps: int, delay: float):
    tenant = loopback_tenant()
    publish(tenant, http_chain(key, effect_server.url, steps=steps))
    effect_server.delay = delay
    services.start_instances(
        tenant=tenant, definition_key=key, items=[{"data": {"i": i}} for i in range(count)]
    )
    return tenant


def assert_invariants(tenant, effect_server, *, count: int, steps: int, timeout: float = 120):
    wait_for(lambda: all_completed(tenant, count), timeout=timeout, message="work was lost")
    assert set(effect_server.effects) == expected_keys(tenant, steps)
    assert_one_transition_per_step(tenant, steps)
    assert_replay_finds_no_difference()


def pool_children(pid: int) -> list[int]:
    """The prefork pool's processes of the Celery worker ``pid`` (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def test_a_pool_child_killed_mid_action_is_replaced_and_its_work_taken_over(
    start_worker, start_beat, effect_server, monkeypatch
):
    # Only the pool process dies: the worker's main process lives on, forks a new child,
    # and the interrupted instance is taken over once its lease runs out.
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = start_chain(effect_server, "child-kill", count=6, steps=3, delay=0.4)
    worker = start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: effect_server.in_flight > 0, timeout=30, message="no action started")
    (child,) = pool_children(worker.proc.pid)
    os.kill(child, signal.SIGKILL)
    interrupted = set(effect_server.calls)
    assert_invariants(tenant, effect_server, count=6, steps=3)
    assert worker.proc.poll() is None, "the worker's main process died with its child"
    assert pool_children(worker.proc.pid) != [child]
    assert any(effect_server.calls[key] >= 2 for key in interrupted)


def terminate_backends(dbname: str) -> int:
    """``pg_terminate_backend`` every other session on ``dbname``: workers and beat."""
    dsn = database_url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            (dbname,),
        ).fetchall()
    return len(rows)


def test_database_sessions_terminated_mid_transaction_lose_nothing(
    start_worker, start_beat, effect_server, monkeypatch, django_db_blocker
):
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = start_chain(effect_server, "pg-terminate", count=20, steps=4, delay=0.15)
    from django.db import connection

    dbname = connection.settings_dict["NAME"]
    connection.close()  # ours is terminated too, like everyone's; it reconnects
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: len(effect_server.effects) >= 8, timeout=60, message="no progress")
    killed = 0
    until = time.monotonic() + 4
    while time.monotonic() < until:  # again and again, whatever each session is doing
        killed += terminate_backends(dbname)
        time.sleep(0.4)
    assert killed >= 3 and len(effect_server.effects) < 80, "the fault came too late"
    assert_invariants(tenant, effect_server, count=20, steps=4)


def test_redis_wiped_mid_run_loses_nothing(
    private_redis, start_worker, start_beat, effect_server, monkeypatch
):
    # The broker's queues, the limits and every key go at once, the server stays up:
    # the durable ``ready`` flags and the outbox sweep bring the work back.
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = start_chain(effect_server, "redis-wipe", count=16, steps=4, delay=0.03)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: len(effect_server.effects) >= 10, timeout=60, message="no progress")
    client = redis.Redis.from_url(private_redis.url)
    for _ in range(3):
        client.flushall()
        time.sleep(0.5)
    assert_invariants(tenant, effect_server, count=16, steps=4)


def test_redis_stalled_for_ten_seconds_loses_nothing(
    private_redis, start_worker, start_beat, effect_server, monkeypatch
):
    # SIGSTOP: the server holds every connection open and answers nothing, the worst
    # kind of outage (no error to react to), then carries on where it stopped.
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = start_chain(effect_server, "redis-stall", count=12, steps=3, delay=0.03)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: len(effect_server.effects) >= 6, timeout=60, message="no progress")
    os.kill(private_redis.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(10)
    finally:
        os.kill(private_redis.proc.pid, signal.SIGCONT)
    assert_invariants(tenant, effect_server, count=12, steps=3)


def test_a_table_lock_held_ten_seconds_delays_but_loses_nothing(
    start_worker, start_beat, effect_server, monkeypatch
):
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = start_chain(effect_server, "table-lock", count=12, steps=3, delay=0.03)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    wait_for(lambda: len(effect_server.effects) >= 6, timeout=60, message="no progress")
    locked, done = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with psycopg.connect(database_url()) as conn:  # one transaction, rolled back
            conn.execute("LOCK TABLE engine_instance IN ACCESS EXCLUSIVE MODE")
            locked.set()
            done.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(10), "the lock was not taken"
    during = len(effect_server.effects)
    time.sleep(10)
    # Nothing could commit while it was held; each worker has at most one call in flight.
    assert len(effect_server.effects) <= during + 2
    done.set()
    holder.join()
    assert_invariants(tenant, effect_server, count=12, steps=3)


def poison(key: str, callable_name: str) -> dict:
    """One step whose ``python`` action (``callable_name``) takes its worker down."""
    return {
        "key": key,
        "initial": "s1",
        "states": [{"name": "s1"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "s1", "to": "done", "action": "crash"}],
        "actions": {"crash": {"type": "python", "params": {"callable": callable_name}}},
    }


def run_a_poison_step_among_bystanders(
    start_worker, start_beat, effect_server, document: dict, *, timeout: float
):
    """The poison step and 8 bystanders on one worker; the invariants for the bystanders,
    then the poison instance once it has failed: (worker, the failed instance)."""
    sick = loopback_tenant()
    publish(sick, document)
    sick_one = services.start_instance(tenant=sick, definition_key=document["key"], data={})
    tenant = start_chain(effect_server, "bystanders", count=8, steps=2, delay=0.05)
    worker = start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    assert_invariants(tenant, effect_server, count=8, steps=2)

    def incident():
        with tenant_scope(sick):
            found = Instance.objects.get(pk=sick_one.pk)
            return found if found.status == "failed" else None

    failed = wait_for(incident, timeout=timeout, message="the poison step never failed")
    assert failed.has_incident and failed.lost_leases == 2
    with tenant_scope(sick):
        assert list(Incident.objects.filter(instance=failed).values_list("code", flat=True)) == [
            "worker_lost"
        ]
    return worker, failed


def test_a_step_that_ends_its_worker_every_time_fails_with_an_incident_and_spares_the_rest(
    start_worker, start_beat, effect_server, monkeypatch
):
    # The poison step kills the pool process that runs it, every time. It is claimed
    # alone once suspect, so the instances batched with it are taken over and finish;
    # after WORKFLOW_MAX_LOST_LEASES lost leases it fails with an incident instead of
    # killing worker after worker.
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "2")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "10")
    monkeypatch.setenv("WORKFLOW_MAX_LOST_LEASES", "2")
    worker, _ = run_a_poison_step_among_bystanders(
        start_worker, start_beat, effect_server, poison("poison", "end_process"), timeout=90
    )
    assert worker.proc.poll() is None  # the worker lived on through its children's deaths
    assert_replay_finds_no_difference()


def test_a_step_that_hangs_its_worker_is_ended_by_the_hard_time_limit(
    start_worker, start_beat, effect_server, monkeypatch
):
    # The step holds the interpreter, so its action deadline and the lease heartbeat
    # never run. Celery's hard time limit kills the pool process; the lease expires, the
    # instances batched with it are taken over, and after WORKFLOW_MAX_LOST_LEASES the
    # hanging step fails with an incident instead of hanging worker after worker.
    monkeypatch.setenv("WORKFLOW_TASK_TIME_LIMIT", "4")
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "2")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "10")
    monkeypatch.setenv("WORKFLOW_MAX_LOST_LEASES", "2")
    worker, _ = run_a_poison_step_among_bystanders(
        start_worker, start_beat, effect_server, poison("hang", "hold_the_interpreter"),
        timeout=120,
    )  # fmt: skip
    assert "Hard time limit (4.0s) exceeded" in worker.log_path.read_text()
    assert worker.proc.poll() is None  # the main process lived on and forked new children
    assert_replay_finds_no_difference()


def test_a_crash_after_the_commit_and_before_the_ack_loses_and_repeats_nothing(
    start_worker, start_beat, effect_server, monkeypatch, tmp_path
):
    # The pool process ends right after the commit of each instance's first step, with
    # the message not yet acknowledged: the broker redelivers it, the dead worker's
    # leases lapse, and the next worker goes on from the committed step without taking
    # or repeating it (a step's effect once, one transition per step).
    marks = tmp_path / "crashed"
    marks.mkdir()
    monkeypatch.setenv("WI_CRASH_MARKS", str(marks))
    monkeypatch.setenv(
        "WORKFLOW_CALLABLE_MODULES",
        "workflow_platform.actions.testing_callables,tests.reliability.crash_after_commit",
    )
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "2")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "3")
    tenant = start_chain(effect_server, "crash-after-commit", count=8, steps=3, delay=0.02)
    worker = start_worker(queues="steps,starts,timers", concurrency=1)
    start_beat()
    assert_invariants(tenant, effect_server, count=8, steps=3)
    assert set(effect_server.calls.values()) == {1}  # a committed step is never run again
    crashed = {int(mark.name) for mark in marks.iterdir()}
    with tenant_scope(tenant):
        assert crashed == set(Instance.objects.values_list("pk", flat=True))
    assert "exitcode 71" in worker.log_path.read_text()  # the crashes did happen
    assert worker.proc.poll() is None


def test_a_slow_and_resetting_network_to_postgres_and_redis_loses_nothing(
    start_worker, start_beat, effect_server, monkeypatch
):
    # The worker reaches PostgreSQL and Redis (broker, limits) only through proxies that
    # hold every chunk 2 ms and, for 6 s, reset every connection through them every
    # 0.7 s: queries, commits and broker reads fail mid-conversation.
    db = connection.settings_dict
    pg = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))).start()
    redis_url = redis.connection.parse_url(settings.REDIS_URL)
    cache = TcpProxy((redis_url.get("host", "127.0.0.1"), int(redis_url.get("port", 6379))))
    cache.start()
    proxies = (pg, cache)
    user = db.get("USER") or "postgres"
    env = {
        "DATABASE_URL": f"postgres://{user}@127.0.0.1:{pg.port}/{db['NAME']}",
        "REDIS_URL": f"redis://127.0.0.1:{cache.port}/{redis_url.get('db', 0)}",
    }
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    try:
        tenant = start_chain(effect_server, "flaky-network", count=40, steps=3, delay=0.1)
        for proxy in proxies:
            proxy.delay = 0.002
        worker = start_worker(queues="steps,starts,timers", concurrency=2, env=env)
        start_beat()
        wait_for(lambda: effect_server.effects, timeout=60, message="no work started")
        before = [proxy.accepted for proxy in proxies]
        until = time.monotonic() + 6
        while time.monotonic() < until:
            time.sleep(0.7)
            for proxy in proxies:
                proxy.reset_connections()
        assert not all_completed(tenant, 40), "the faults must hit a run in progress"
        # The worker's connections really go through the proxies: it reconnected.
        assert all(p.accepted > b for p, b in zip(proxies, before, strict=True))
        for proxy in proxies:
            proxy.delay = 0.0
        assert_invariants(tenant, effect_server, count=40, steps=3)
        assert worker.proc.poll() is None  # it rode out the resets, nobody restarted it
    finally:
        for proxy in proxies:
            proxy.stop()


FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")  # Debian's faketime


def skewed(offset: str) -> dict[str, str]:
    """A worker environment whose wall clock is ``offset`` off (libfaketime)."""
    if not FAKETIME.exists():
        pytest.fail("libfaketime is required (apt-get install faketime)", pytrace=False)
    return {"LD_PRELOAD": str(FAKETIME), "FAKETIME": offset, "DONT_FAKE_MONOTONIC": "1"}


def test_workers_with_clocks_an_hour_off_neither_steal_nor_strand_leases(
    start_worker, start_beat, effect_server, monkeypatch
):
    # One worker's clock runs an hour ahead, the other's an hour behind. Judged by their
    # own clocks, the first would take every lease as expired and the second's leases
    # would look expired to everyone: actions would run twice. Lease times are the
    # database's, so each action runs once.
    monkeypatch.setenv("WORKFLOW_LEASE_SECONDS", "3")
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", "4")
    tenant = start_chain(effect_server, "skewed-clocks", count=16, steps=2, delay=0.2)
    ahead = start_worker(queues="steps,starts,timers", concurrency=1, env=skewed("+1h"))
    behind = start_worker(queues="steps,starts,timers", concurrency=1, env=skewed("-1h"))
    start_beat()
    assert_invariants(tenant, effect_server, count=16, steps=2)
    assert set(effect_server.calls.values()) == {1}  # no lease was taken from its holder
    for worker in (ahead, behind):
        assert worker.proc.poll() is None


def test_postgres_restarted_with_m_immediate_under_load_loses_nothing():
    # On a private cluster (the shared server serves other runs), in a process of its own
    # (this one's Django is bound to the shared test database): postgres_restart_scenario.py.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-m", "tests.reliability.postgres_restart_scenario"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-8000:]
    assert "ok: 30 instances" in result.stdout
