"""One worker-like OS process that hammers ``limits.admit`` for one dependency.

Started by the integration tests as ``python -m tests.integration.limits.hammer`` with the
test database and Redis in the environment (``WORKFLOW_LIMITS_BACKEND`` chooses the
backend), it serves scenarios until stdin closes, so Django starts once per process: it
reads a JSON line ``{"scenario": ..., "config": ...}``, prints ``ready``, waits for ``go``
so that every process starts together, runs it and prints one JSON line with what it
observed. Scenarios:

- ``rate``: ask as fast as possible; report the limiter's time of every admission.
- ``breaker``: every admitted call "calls" a dependency that fails until ``heal_at``
  seconds after the start and succeeds after; report each call's start, end and outcome.
- ``bulkhead``: threads hold admitted slots for a while; an independent Redis counter
  (not the limiter) measures how many calls are really in flight at once.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
    import django

    django.setup()
    from workflow_platform.engine import limits

    return limits


def epoch(moment) -> float:
    return moment.timestamp()


def run_rate(limits, dep, tenant_id, cfg):
    admitted, asked = [], 0
    until = time.time() + cfg["seconds"]
    while time.time() < until:
        asked += 1
        answer = limits.admit(tenant_id=tenant_id, dependency=dep)
        if answer.admitted:
            admitted.append(epoch(answer.decided_at))
    return {"admitted": admitted, "asked": asked}


def run_breaker(limits, dep, tenant_id, cfg):
    start = time.time()
    heal_at, until = start + cfg["heal_after"], start + cfg["seconds"]
    calls, first_open = [], None
    while time.time() < until:
        answer = limits.admit(tenant_id=tenant_id, dependency=dep)
        if not answer.admitted:
            if answer.reason == "circuit_open" and first_open is None:
                first_open = epoch(answer.decided_at)
            time.sleep(0.002)
            continue
        began = epoch(answer.decided_at)
        time.sleep(cfg["call_seconds"])  # the dependency's response time
        ok = began >= heal_at
        ended = time.time()
        limits.record_result(tenant_id=tenant_id, dependency=dep, ok=ok)
        calls.append({"start": began, "end": ended, "ok": ok})
    return {"calls": calls, "first_open": first_open, "heal_at": heal_at}


def run_bulkhead(limits, dep, tenant_id, cfg):
    import redis
    from django.conf import settings
    from django.db import connection

    counter = redis.Redis.from_url(settings.REDIS_URL)
    key = cfg["counter_key"]
    peak, admitted, full, lock = [0], [0], [0], threading.Lock()
    until = time.time() + cfg["seconds"]

    def worker():
        rng = random.Random()
        try:
            while time.time() < until:
                answer = limits.admit(tenant_id=tenant_id, dependency=dep)
                if not answer.admitted:
                    with lock:
                        full[0] += answer.reason == "bulkhead_full"
                    time.sleep(0.02)
                    continue
                in_flight = counter.incr(key)
                with lock:
                    peak[0] = max(peak[0], in_flight)
                    admitted[0] += 1
                time.sleep(rng.uniform(0.05, 0.1))
                counter.decr(key)
                limits.release(tenant_id=tenant_id, dependency=dep, slot=answer.slot)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(cfg["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"peak": peak[0], "admitted": admitted[0], "turned_away": full[0]}


SCENARIOS = {"rate": run_rate, "breaker": run_breaker, "bulkhead": run_bulkhead}


def main() -> None:
    limits = setup()
    for line in sys.stdin:
        command = json.loads(line)
        config = command["config"]
        dep = limits.DependencyLimits(**config["limits"])
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            sys.exit("expected go")
        result = SCENARIOS[command["scenario"]](limits, dep, config["tenant_id"], config)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
