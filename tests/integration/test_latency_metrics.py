"""Latency histograms kept by a real prefork worker (prometheus-client multiprocess
mode), summed with the other processes' and scraped from the web's ``/metrics``."""

from __future__ import annotations

import itertools
import re
import time

from django.test import Client

from tests.factories import make_tenant, publish
from workflow_platform.engine import services
from workflow_platform.engine.models import Instance


def linear(key: str, steps: int) -> dict:
    names = [f"s{i}" for i in range(steps)] + ["done"]
    return {
        "format": "workflow-island/v1",
        "key": key,
        "initial": "s0",
        "states": [{"name": n} for n in names[:-1]] + [{"name": "done", "kind": "final"}],
        "transitions": [
            {"from": a, "to": b, "action": "noop"} for a, b in itertools.pairwise(names)
        ],
        "actions": {"noop": {"type": "python", "params": {"callable": "noop"}}},
    }


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_a_prefork_workers_step_and_action_latency_reaches_the_web_scrape(
    transactional_db, start_worker, tmp_path, monkeypatch
):
    shared = tmp_path / "prometheus"
    shared.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))  # the web's view reads it
    tenant = make_tenant("timed", "Timed")
    version = publish(tenant, linear("timed-noop", 3))
    start_worker(concurrency=2, env={"PROMETHEUS_MULTIPROC_DIR": str(shared)})
    items = [{"data": {"i": i}} for i in range(20)]
    started = services.start_instances(
        tenant=tenant, definition_key=version.definition.key, items=items
    )
    ids = [inst.pk for inst in started]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = Instance.objects.for_tenant(tenant).filter(pk__in=ids, status="completed")
        if done.count() == len(ids):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("instances not completed within 60 s")

    text = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    steps = {"tenant": "timed", "definition": "timed-noop"}
    assert sample(text, "workflow_step_duration_seconds_count", **steps) == 60
    assert sample(text, "workflow_step_duration_seconds_bucket", **steps, le="+Inf") == 60
    ok = {"action_type": "python", "dependency": "", "outcome": "ok"}
    assert sample(text, "workflow_action_duration_seconds_count", **ok) == 60
    assert "workflow_instances{" in text  # the database figures are still there
    assert list(shared.glob("*.db"))  # written by the worker's processes
