"""Step and action latency histograms, kept by the processes that do the work.

The other metrics (metrics.py) are read from the database at scrape time; how long steps
and action attempts take is not in the database, so the workers count it as they go:
prometheus-client in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, one directory
per host shared by the web, the worker and its prefork children), each process writing
its own memory-mapped files, summed when scraped. This module listens to the engine
(``engine.tracing.listen``): without the directory nothing listens and the engine times
nothing. Scraped from the web's ``/metrics`` on the same host, and from a worker's own
port when ``WORKFLOW_WORKER_METRICS_PORT`` is set (hosts with workers only).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from workflow_platform.engine import tracing as engine_tracing

log = logging.getLogger(__name__)

# From a no-op step (about 0.1 ms) to a slow dependency (a minute).
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

STEP_SECONDS = Histogram(
    "workflow_step_duration_seconds",
    "Time a step takes on a worker (choosing, the action, mapping its result; the round's "
    "shared commit not included), by tenant and definition.",
    ["tenant", "definition"],
    buckets=BUCKETS,
)
ACTION_SECONDS = Histogram(
    "workflow_action_duration_seconds",
    "Time one action attempt takes, by action type, dependency and outcome (ok or error).",
    ["action_type", "dependency", "outcome"],
    buckets=BUCKETS,
)
ACTION_ERRORS = Counter(
    "workflow_action_errors",
    "Failed action attempts, by action type, dependency and error code.",
    ["action_type", "dependency", "code"],
)
ACTION_RETRIES = Counter(
    "workflow_action_retries",
    "Action attempts after the first (retries), by action type and dependency.",
    ["action_type", "dependency"],
)


def _labels(inst: Any) -> tuple[str, str]:
    model = type(inst)
    tenant = inst.tenant.slug if model.tenant.is_cached(inst) else str(inst.tenant_id)
    definition = inst.definition.key if model.definition.is_cached(inst) else ""
    return tenant, definition


class Timings:
    """The engine's timings listener: observe each step and action attempt."""

    def step(self, inst: Any, seconds: float) -> None:
        STEP_SECONDS.labels(*_labels(inst)).observe(seconds)

    def action(self, inst: Any, *, kind: str, dependency: str, seconds: float, error: str) -> None:
        ACTION_SECONDS.labels(kind, dependency, "error" if error else "ok").observe(seconds)
        if error:
            ACTION_ERRORS.labels(kind, dependency, error).inc()
        if inst.attempt > 1:
            ACTION_RETRIES.labels(kind, dependency).inc()


def enabled() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def listen() -> bool:
    """Listen to the engine if multiprocess mode is on (module doc); True if so."""
    if not enabled():
        return False
    engine_tracing.listen(Timings())
    return True


def multiprocess_registry() -> CollectorRegistry:
    """A registry of every process's latency figures on this host (for a scrape)."""
    from prometheus_client import multiprocess

    registry = CollectorRegistry(auto_describe=False)
    multiprocess.MultiProcessCollector(registry)
    return registry


def serve_for_worker() -> None:
    """In a worker's main process: serve the host's figures on its own port, if asked."""
    port = os.environ.get("WORKFLOW_WORKER_METRICS_PORT", "")
    if not port or not enabled():
        return
    from prometheus_client import start_http_server

    address = os.environ.get("WORKFLOW_WORKER_METRICS_ADDRESS", "127.0.0.1")
    start_http_server(int(port), addr=address, registry=multiprocess_registry())
    log.info("worker latency metrics on http://%s:%s/metrics", address, port)


def connect_worker_signals() -> None:
    from celery import signals

    signals.worker_init.connect(
        lambda **_: serve_for_worker(), weak=False, dispatch_uid="latency-worker-init"
    )
