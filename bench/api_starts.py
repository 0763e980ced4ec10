"""Starts through the REST API from many concurrent clients, against a real Daphne.

Run through ``bench/api_starts.sh`` (it makes a fresh database). One web process (Daphne,
as ``./run`` starts it) serves ``POST /api/instances/`` for a parked one-state workflow,
so the figure is the start path itself (authentication, validation, the idempotent
insert, the outbox nudge), not the workers. The per-token throttle is raised for the run.
Prints one JSON line: starts/s, latency p50/p99, answers by status, and the most
PostgreSQL connections the web process held at once (sampled from ``pg_stat_activity``).
With ``--bulk N`` each request is ``POST /api/instances/bulk/`` with N items (each its
own idempotency key), and starts/s counts the instances the answers say were created.

    bench/api_starts.sh --clients 32 --seconds 20
    bench/api_starts.sh --clients 4 --seconds 20 --bulk 1000
    bench/api_starts.sh --root /tmp/other-checkout   # serve another tree, same database
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
django.setup()

import httpx  # noqa: E402
import psycopg  # noqa: E402
from django.db import connection  # noqa: E402

from tests.factories import make_member, make_tenant, make_token, publish  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PARKED = {
    "key": "api-start",
    "initial": "waiting",
    "states": [{"name": "waiting"}, {"name": "done", "final": True}],
    "transitions": [{"from": "waiting", "to": "done", "on": "go"}],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# One web process either way. gunicorn is not a dependency of the platform (ADR 0017):
# `pip install --target DIR gunicorn` and put DIR on PYTHONPATH to compare.
SERVERS = {
    "daphne": ["-m", "daphne", "-b", "127.0.0.1", "-p", "{port}",
               "workflow_platform.asgi:application"],
    "gunicorn": ["-m", "gunicorn", "-b", "127.0.0.1:{port}", "-w", "1", "-k", "gthread",
                 "--threads", "4", "workflow_platform.wsgi:application"],
}  # fmt: skip


def serve(root: Path, port: int, log, server: str = "daphne") -> subprocess.Popen:
    env = {**os.environ, "WORKFLOW_API_RATE": "10000000/min", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, *(arg.format(port=port) for arg in SERVERS[server])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in ("/livez", "/healthz"):  # an older tree has only /healthz
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                    return proc
            except OSError:
                continue
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{server} did not come up")


def sample_connections(dbname: str, stop: threading.Event, peak: list[int]) -> None:
    dsn = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        while not stop.wait(0.1):
            (count,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                "pg_backend_pid()",
                (dbname,),
            ).fetchone()
            peak[0] = max(peak[0], count)


def client_loop(
    base: str, token: str, until: float, results: list, lock: threading.Lock, bulk: int = 0
):
    """Post starts until ``until``; each result is (status, seconds, instances created)."""
    mine: list[tuple[int, float, int]] = []
    name = threading.current_thread().name
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        n = 0
        while time.monotonic() < until:
            n += 1
            if bulk:
                items = [
                    {"data": {"n": n, "i": i}, "idempotency_key": f"{name}-{n}-{i}"}
                    for i in range(bulk)
                ]
                path, body = "/api/instances/bulk/", {"definition": PARKED["key"], "items": items}
            else:
                path, body = "/api/instances/", {"definition": PARKED["key"], "data": {"n": n}}
            began = time.perf_counter()
            try:
                response = http.post(path, json=body, timeout=60)
                status = response.status_code
                made = (response.json()["created"] if bulk else 1) if status == 201 else 0
            except httpx.HTTPError:
                status, made = 0, 0  # no answer at all
            mine.append((status, time.perf_counter() - began, made))
    with lock:
        results.extend(mine)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout Daphne serves")
    parser.add_argument("--bulk", type=int, default=0, help="items per bulk start request")
    parser.add_argument("--server", choices=sorted(SERVERS), default="daphne")
    args = parser.parse_args(argv)

    tenant = make_tenant("api-bench", "API bench")
    publish(tenant, PARKED)
    _, token = make_token(tenant, make_member(tenant, "operator", "bench-operator"))
    dbname = connection.settings_dict["NAME"]
    connection.close()

    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"api-bench-{port}.log"
    with open(log_path, "w") as log:
        web = serve(args.root.resolve(), port, log, args.server)
        try:
            base = f"http://127.0.0.1:{port}"
            warm_until = time.monotonic() + 2
            # warm-up, one client
            client_loop(base, token, warm_until, [], threading.Lock(), args.bulk)
            stop, peak = threading.Event(), [0]
            sampler = threading.Thread(target=sample_connections, args=(dbname, stop, peak))
            sampler.start()
            results: list[tuple[int, float, int]] = []
            lock = threading.Lock()
            until = time.monotonic() + args.seconds
            began = time.monotonic()
            threads = [
                threading.Thread(
                    target=client_loop,
                    args=(base, token, until, results, lock, args.bulk),
                    name=f"client-{c}",
                )
                for c in range(args.clients)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            stop.set()
            sampler.join()
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
    created = [t for status, t, _ in results if status == 201]
    print(
        json.dumps(
            {
                "clients": args.clients,
                **({"items_per_request": args.bulk} if args.bulk else {}),
                "seconds": round(elapsed, 1),
                "starts_per_s": round(sum(made for _, _, made in results) / elapsed, 1),
                "p50_ms": round(percentile(created, 50) * 1000, 1),
                "p99_ms": round(percentile(created, 99) * 1000, 1),
                "statuses": dict(sorted(Counter(str(s) for s, _, _ in results).items())),
                "peak_db_connections": peak[0],
                "root": str(args.root),
                "server": args.server,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
