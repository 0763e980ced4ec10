"""The engine benchmark: W1 and W3 beside the pgbench ceiling and a bare Celery chain.

Run through ``bench/run.sh`` (it makes a fresh database). Measures, in one run:

- **W1**: a 10-step automatic workflow (every step a no-op ``python`` action) over
  10,000 instances started with one bulk start, on 2 worker processes: durable
  transitions per second, start-to-complete p50/p99, worker CPU per transition and
  database bytes (WAL and table growth) per transition.
- **W2**: a 1 → 100 → 1 fan-out/fan-in over 1,000 instances: each parent runs one
  no-op step, fans out to 100 child instances (one no-op step each) and joins them all,
  then runs one more no-op step; durable transitions per second (parents' and
  children's), parent start-to-complete p50/p99, worker CPU and WAL per transition.
- **W3**: one instance at a time, start to complete (10 steps) on idle workers: p50/p99.
- **pgbench**: the hardware ceiling, 16 clients, each transaction the writes of one
  transition (UPDATE the instance row, INSERT one history row) on copies of the
  engine's own tables with their indexes.
- **bare Celery chain**: chains of 10 no-op tasks on 2 worker processes, same broker
  and delivery settings, no database at all.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
# The benchmark's step is the test callable `noop`; its workers inherit this environment.
os.environ.setdefault("WORKFLOW_CALLABLE_MODULES", "workflow_platform.actions.testing_callables")
django.setup()


import redis  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from workflow_platform.definitions.models import Definition, Version  # noqa: E402
from workflow_platform.engine import services  # noqa: E402
from workflow_platform.engine.models import Instance  # noqa: E402
from workflow_platform.tenancy.scoping import tenant_scope  # noqa: E402
from workflow_platform.tenancy.services import create_tenant  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STEPS = 10
TICKS = os.sysconf("SC_CLK_TCK")


# --- processes ---------------------------------------------------------------------
class Worker:
    """A Celery worker with ``-c 2`` (two pool processes) in its own process group."""

    def __init__(self, app: str, queues: str, concurrency: int = 2) -> None:
        self.log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
        cmd = [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queues,
               "-c", str(concurrency), "--without-mingle", "--without-gossip",
               "--loglevel", "INFO", "-n", f"bench-{os.getpid()}-{queues}@%h"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + 60
        while "ready." not in Path(self.log.name).read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(Path(self.log.name).read_text())
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User + system CPU of every process in the worker's group (and reaped children)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.proc.pid:  # field 5: process group
                total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        return total / TICKS

    def stop(self) -> None:
        """Cold shutdown (SIGQUIT): the workload has finished by now. A warm one waits, at
        times, up to 30 s in billiard's pool for a message counter (seen with py-spy in
        ``Worker._ensure_messages_consumed``), which would only blur whole-command timings.
        """
        began = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGQUIT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        took = time.monotonic() - began
        if took > 5:  # outside the figures, but worth seeing
            tail = Path(self.log.name).read_text()[-2000:]
            print(f"worker took {took:.1f} s to stop; its log ends:\n{tail}", file=sys.stderr)
        Path(self.log.name).unlink(missing_ok=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def wal_lsn() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def table_bytes(*tables: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::text[]) AS t", [list(tables)]
        )
        return int(cursor.fetchone()[0] or 0)


ENGINE_TABLES = ("engine_instance", "engine_historyevent")


# --- the workflows -----------------------------------------------------------------
def publish_noop_chain(tenant) -> str:
    names = [f"s{i}" for i in range(STEPS)] + ["done"]
    document = {
        "format": "workflow-island/v1",
        "key": "w1-noop",
        "initial": "s0",
        "states": [{"name": n} for n in names[:-1]] + [{"name": "done", "kind": "final"}],
        "transitions": [
            {"from": a, "to": b, "action": "noop"} for a, b in itertools.pairwise(names)
        ],
        "actions": {"noop": {"type": "python", "params": {"callable": "noop"}}},
    }
    with tenant_scope(tenant):
        definition = Definition.objects.create(tenant=tenant, key="w1-noop", name="W1 no-op")
        Version.objects.bulk_create(
            [Version(tenant=tenant, definition=definition, number=1, document=document,
                     status="published", published_at=timezone.now())]
        )  # fmt: skip
    return "w1-noop"


W2_FAN = 100


def publish_fan(tenant) -> str:
    """w2-fan: prep → fan (100 w2-item children, join all) → done; w2-item: go → done."""
    noop = {"noop": {"type": "python", "params": {"callable": "noop"}}}
    child = {
        "format": "workflow-island/v1",
        "key": "w2-item",
        "initial": "go",
        "states": [{"name": "go"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "go", "to": "done", "action": "noop"}],
        "actions": noop,
    }
    parent = {
        "format": "workflow-island/v1", "key": "w2-fan", "initial": "prep",
        "states": [{"name": "prep"},
                   {"name": "fan", "kind": "parallel",
                    "parallel": {"map_over": "data.items", "workflow": "w2-item",
                                 "item_as": "item", "join": "all"}},
                   {"name": "joined"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "prep", "to": "fan", "action": "noop"},
                        {"from": "fan", "to": "joined", "on": "joined"},
                        {"from": "joined", "to": "done", "action": "noop"}],
        "actions": noop,
    }  # fmt: skip
    with tenant_scope(tenant):
        for document in (child, parent):
            definition = Definition.objects.create(
                tenant=tenant, key=document["key"], name=document["key"]
            )
            Version.objects.bulk_create(
                [Version(tenant=tenant, definition=definition, number=1, document=document,
                         status="published", published_at=timezone.now())]
            )  # fmt: skip
    return "w2-fan"


def run_w2(tenant, key: str, parents: int) -> dict:
    worker = Worker("workflow_platform", "steps,starts")
    items = list(range(W2_FAN))
    try:
        cpu0, wal0 = worker.cpu_seconds(), wal_lsn()
        started = time.perf_counter()
        services.start_instances(
            tenant=tenant, definition_key=key,
            items=[{"data": {"items": items}} for _ in range(parents)],
        )  # fmt: skip
        done = Instance.objects.for_tenant(tenant).filter(definition__key=key, status="completed")
        while done.count() < parents:
            time.sleep(0.5)
            if time.perf_counter() - started > 3600:
                raise RuntimeError("W2 did not finish in an hour")
        elapsed = time.perf_counter() - started
        cpu = worker.cpu_seconds() - cpu0
        wal = wal_lsn() - wal0
    finally:
        worker.stop()
    unfinished = (
        Instance.objects.for_tenant(tenant).filter(definition__key="w2-item")
        .exclude(status="completed").count()
    )  # fmt: skip
    if unfinished:
        raise RuntimeError(f"W2: {unfinished} children did not complete")
    # prep and the final step of each parent, its fan-out and its join; one step a child.
    transitions = parents * (3 + W2_FAN)
    latencies = [
        (ended - created).total_seconds()
        for created, ended in done.values_list("created_at", "ended_at")
    ]
    return {
        "parents": parents,
        "children": parents * W2_FAN,
        "transitions": transitions,
        "elapsed": elapsed,
        "rate": transitions / elapsed,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu_us": cpu / transitions * 1e6,
        "wal_bytes": wal / transitions,
    }


def run_w1(tenant, key: str, instances: int) -> dict:
    worker = Worker("workflow_platform", "steps,starts")
    try:
        cpu0, wal0, size0 = worker.cpu_seconds(), wal_lsn(), table_bytes(*ENGINE_TABLES)
        started = time.perf_counter()
        for offset in range(0, instances, 10_000):
            services.start_instances(
                tenant=tenant, definition_key=key,
                items=[{"data": {"n": i}} for i in range(offset, min(instances, offset + 10_000))],
            )  # fmt: skip
        start_call = time.perf_counter() - started
        done = Instance.objects.for_tenant(tenant).filter(status="completed")
        while done.count() < instances:
            time.sleep(0.2)
            if time.perf_counter() - started > 1800:
                raise RuntimeError("W1 did not finish in 30 minutes")
        elapsed = time.perf_counter() - started
        cpu = worker.cpu_seconds() - cpu0
        wal = wal_lsn() - wal0
        growth = table_bytes(*ENGINE_TABLES) - size0
    finally:
        worker.stop()
    transitions = instances * STEPS
    latencies = [
        (ended - created).total_seconds()
        for created, ended in done.values_list("created_at", "ended_at")
    ]
    return {
        "instances": instances,
        "transitions": transitions,
        "elapsed": elapsed,
        "start_call": start_call,
        "rate": transitions / elapsed,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu_us": cpu / transitions * 1e6,
        "wal_bytes": wal / transitions,
        "table_bytes": growth / transitions,
    }


def run_w3(tenant, key: str, samples: int) -> dict:
    worker = Worker("workflow_platform", "steps,starts")
    latencies = []
    try:
        for i in range(samples):
            instance = services.start_instance(tenant=tenant, definition_key=key, data={"w3": i})
            row = Instance.objects.for_tenant(tenant).filter(pk=instance.pk)
            deadline = time.perf_counter() + 30
            while row.values_list("status", flat=True)[0] != "completed":
                if time.perf_counter() > deadline:
                    raise RuntimeError("a W3 instance did not complete in 30 s")
                time.sleep(0.002)
            created, ended = row.values_list("created_at", "ended_at")[0]
            latencies.append((ended - created).total_seconds())
    finally:
        worker.stop()
    return {"samples": samples, "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "mean": statistics.mean(latencies)}  # fmt: skip


# --- the baselines -----------------------------------------------------------------
PGBENCH_SCRIPT = """\
\\set id random(1, {rows})
BEGIN;
UPDATE pgb_instance SET state = 's1', status = 'running', step = step + 1, seq = seq + 1,
  attempt = 1, pending = NULL, ready = true, updated_at = now() WHERE id = :id RETURNING seq \\gset
INSERT INTO pgb_history (tenant_id, instance_id, seq, type, from_state, to_state, status, step,
  event, action, attempt, created_at)
  VALUES (1, :id, :seq, 'transitioned', 's0', 's1', 'running', 1, 'auto', 'noop', 1, now());
END;
"""


def run_pgbench(seconds: int, tenant, key: str, instances: int, clients: int = 16) -> dict:
    if not Instance.objects.for_tenant(tenant).exists():  # --only pgbench: rows to update
        for offset in range(0, instances, 10_000):
            services.start_instances(
                tenant=tenant, definition_key=key,
                items=[{"data": {"n": i}} for i in range(offset, min(instances, offset + 10_000))],
            )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pgb_instance, pgb_history")
        cursor.execute("CREATE TABLE pgb_instance (LIKE engine_instance INCLUDING ALL)")
        cursor.execute("CREATE TABLE pgb_history (LIKE engine_historyevent INCLUDING ALL)")
        cursor.execute("INSERT INTO pgb_instance SELECT * FROM engine_instance")
        cursor.execute("SELECT count(*) FROM pgb_instance")
        rows = cursor.fetchone()[0]
        cursor.execute("ANALYZE pgb_instance")
    # Instance ids are not 1..n; renumber so the script can pick one at random.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pgb_instance p SET id = r.n FROM (SELECT id, row_number() OVER (ORDER BY id)"
            " AS n FROM pgb_instance) r WHERE p.id = r.id"
        )
    script = Path(tempfile.mkstemp(suffix=".sql")[1])
    script.write_text(PGBENCH_SCRIPT.format(rows=rows))
    settings = connection.settings_dict
    wal0 = wal_lsn()
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script),
         "-h", settings["HOST"] or "127.0.0.1", "-U", settings["USER"] or "postgres",
         settings["NAME"]],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    wal = wal_lsn() - wal0
    script.unlink()
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    count = int(re.search(r"number of transactions actually processed: (\d+)", out.stdout)[1])
    return {"clients": clients, "seconds": seconds, "tps": tps, "wal_bytes": wal / count}


def run_bare_chain(chains: int) -> dict:
    from celery import chain

    from bench.bare_chain import last, step

    counter = redis.Redis.from_url(os.environ["REDIS_URL"])
    counter.delete("bare:chains_done")
    worker = Worker("bench.bare_chain", "bare")
    try:
        cpu0 = worker.cpu_seconds()
        started = time.perf_counter()
        for _ in range(chains):
            chain(*[step.si() for _ in range(STEPS - 1)], last.si()).apply_async()
        while int(counter.get("bare:chains_done") or 0) < chains:
            time.sleep(0.05)
            if time.perf_counter() - started > 1800:
                raise RuntimeError("the bare chain did not finish in 30 minutes")
        elapsed = time.perf_counter() - started
        cpu = worker.cpu_seconds() - cpu0
    finally:
        worker.stop()
    tasks = chains * STEPS
    return {"chains": chains, "tasks": tasks, "elapsed": elapsed, "rate": tasks / elapsed,
            "cpu_us": cpu / tasks * 1e6}  # fmt: skip


# --- report ------------------------------------------------------------------------
def report(w1: dict, w2: dict, w3: dict, pg: dict, bare: dict, argv: list[str]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
    half = pg["tps"] / 2
    verdict_pg = "met" if w1["rate"] >= half else "NOT met"
    verdict_bare = "met" if w1["rate"] > bare["rate"] else "NOT met"
    command = "bench/run.sh" + (" " + " ".join(argv) if argv else "")
    n = f"{w1['instances']:,} instances x {STEPS} no-op steps, 2 worker processes"
    rows = [
        (f"**W1** engine, {n}",
         f"**{w1['rate']:,.0f} durable transitions/s** ({w1['transitions']:,} in "
         f"{w1['elapsed']:.1f} s; bulk start call {w1['start_call']:.2f} s)"),
        ("W1 start-to-complete (under the full load)",
         f"p50 {w1['p50']:.2f} s, p99 {w1['p99']:.2f} s"),
        ("W1 worker CPU per transition", f"{w1['cpu_us']:.0f} µs"),
        ("W1 database bytes per transition",
         f"{w1['wal_bytes']:.0f} B of WAL, {w1['table_bytes']:.0f} B of table + index growth"),
        (f"**W2** fan-out/fan-in, {w2['parents']:,} instances x 1 → {W2_FAN} → 1 "
         f"({w2['children']:,} child instances), 2 worker processes",
         f"**{w2['rate']:,.0f} durable transitions/s** ({w2['transitions']:,} in "
         f"{w2['elapsed']:.1f} s)"),
        ("W2 parent start-to-complete (under the full load)",
         f"p50 {w2['p50']:.2f} s, p99 {w2['p99']:.2f} s"),
        ("W2 worker CPU and WAL per transition",
         f"{w2['cpu_us']:.0f} µs, {w2['wal_bytes']:.0f} B of WAL"),
        (f"**W3** one instance start-to-complete ({STEPS} steps, idle workers, "
         f"{w3['samples']} samples)",
         f"p50 {w3['p50'] * 1000:.1f} ms, p99 {w3['p99'] * 1000:.1f} ms"),
        (f"**pgbench ceiling**, {pg['clients']} clients, {pg['seconds']} s, one transition's "
         "writes per transaction",
         f"**{pg['tps']:,.0f} transactions/s** ({pg['wal_bytes']:.0f} B of WAL each)"),
        (f"**bare Celery chain**, {bare['chains']:,} chains x {STEPS} no-op tasks, "
         "2 worker processes",
         f"**{bare['rate']:,.0f} steps/s**, {bare['cpu_us']:.0f} µs worker CPU per step"),
    ]  # fmt: skip
    table = "\n".join(f"| {a} | {b} |" for a, b in rows)
    return f"""# Engine benchmark results

Measured {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC by `{command}` (one run; all figures
below come from it). Machine: {os.cpu_count()} CPUs ({platform.machine()}), shared with
other work while measuring (load average {os.getloadavg()[0]:.1f} at the end); PostgreSQL
{pg_version} (fsync={fsync}, synchronous_commit={sync}) and Redis on the same machine.

## Figures

| workload | result |
| --- | --- |
{table}

Targets: at least half the pgbench ceiling ({half:,.0f}/s): **{verdict_pg}**
({w1["rate"] / pg["tps"] * 100:.0f}% of the ceiling); faster than the bare Celery chain:
**{verdict_bare}** ({w1["rate"] / bare["rate"]:.1f} times).

## What is measured

- A W1 *durable transition* is one action run plus the commit of the instance's new
  state, data and history event; the 2 worker processes claim batches of ready
  instances and commit one round of transitions of many instances per transaction
  (docs/adr/0006-engine-database-is-the-truth.md, docs/engine.md). Elapsed time runs from the
  bulk start call to the last instance completed.
- A W2 transition is one of: a parent's first step, its fan-out (which starts its 100
  children), its join, its last step, or a child's one step. Children are started,
  joined and counted by the engine itself; elapsed time runs from the bulk start call
  to the last parent completed.
- pgbench runs `UPDATE` of one instance row and `INSERT` of one history row per
  transaction on copies of `engine_instance` and `engine_historyevent` with all their
  indexes: the ceiling of committing transitions one at a time on this machine.
- The bare chain uses `celery.chain` of `si()` no-op tasks with the platform's delivery
  settings (late acks, prefetch 1, JSON) and no database: it persists nothing.

## Commands

```bash
bench/run.sh                          # everything, writes this file
bench/run.sh --instances 2000 --w2-parents 100 --no-write   # a quick look, prints only
```
"""


WORKLOADS = ("w1", "w2", "w3", "pgbench", "bare")
# The section of RESULTS.md that a full run keeps as it is (timed from outside, by hand).
SIDE_BY_SIDE = "## Whole commands side by side"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--w2-parents", type=int, default=1_000)
    parser.add_argument("--w3-samples", type=int, default=50)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--chains", type=int, default=1_000)
    parser.add_argument(
        "--only", choices=WORKLOADS,
        help="run one workload and print its figures (for timing whole commands side by side)",
    )  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS")
    args = parser.parse_args(argv)
    tenant = create_tenant(slug="bench", name="Bench")
    key = publish_noop_chain(tenant)
    runs = {
        "w1": lambda: run_w1(tenant, key, args.instances),
        "w2": lambda: run_w2(tenant, publish_fan(tenant), args.w2_parents),
        "w3": lambda: run_w3(tenant, key, args.w3_samples),
        "pgbench": lambda: run_pgbench(args.pgbench_seconds, tenant, key, args.instances),
        "bare": lambda: run_bare_chain(args.chains),
    }
    figures = {}
    for name in [args.only] if args.only else WORKLOADS:
        print(f"{name} ...", flush=True)
        figures[name] = runs[name]()
        print(figures[name], flush=True)
    if args.only:
        return
    text = report(*(figures[name] for name in WORKLOADS), argv)
    print(text)
    if not args.no_write:
        results = ROOT / "bench" / "RESULTS.md"
        kept = results.read_text() if results.exists() else ""
        if SIDE_BY_SIDE in kept:  # measured by hand with whole-command timings: kept
            text += "\n" + kept[kept.index(SIDE_BY_SIDE) :]
        results.write_text(text)


if __name__ == "__main__":
    main(sys.argv[1:])
