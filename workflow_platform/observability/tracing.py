"""Tracing setup: the OpenTelemetry SDK, its exporter and instrumentations, per process.

Off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``): then
this installs a ``TracerProvider`` (resource from ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES``, sampler from ``OTEL_TRACES_SAMPLER``), a batch span
processor per exporter (the OTLP/HTTP exporter reads ``OTEL_EXPORTER_OTLP_*``), the
Django, Celery, httpx and psycopg instrumentations (less those named in
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``) and hands the engine its tracer
(workflow_platform/engine/tracing.py). Off, nothing of the SDK is imported and the
engine makes no span (docs/observability.md, docs/adr/0015-traces-and-structured-logs.md).

When: web processes and beat at ``ready()``; a Celery worker's prefork children in
``worker_process_init``, since the batch processor's export thread does not survive a
fork (the worker's main process only supervises them); a worker with a solo or thread
pool in ``worker_init``. The spans left are flushed at process shutdown.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from workflow_platform.engine import tracing as engine_tracing

log = logging.getLogger(__name__)

EXPORTERS = ("otlp", "console")
INSTRUMENTATIONS = ("django", "celery", "httpx", "psycopg")
DEFAULT_SERVICE_NAME = "workflow-island"
# Probes and scrapes, not traced unless OTEL_PYTHON_DJANGO_EXCLUDED_URLS says otherwise.
QUIET_URLS = "/livez,/healthz,/metrics,/static/"

_provider: Any = None


def exporter_names(environ: dict[str, str] | os._Environ = os.environ) -> list[str]:
    """The exporters ``OTEL_TRACES_EXPORTER`` asks for; [] means tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    raw = environ.get("OTEL_TRACES_EXPORTER", "")
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    names = [n for n in names if n != "none"]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise ImproperlyConfigured(
            f"OTEL_TRACES_EXPORTER names '{unknown[0]}'; this platform exports traces with "
            f"{' or '.join(EXPORTERS)} (or 'none', the default: tracing off)."
        )
    return names


def process_kind(argv: list[str] | None = None) -> str:
    """``worker``, ``beat`` or ``web`` (anything else: manage.py, a WSGI/ASGI server)."""
    argv = sys.argv if argv is None else argv
    if argv and "celery" in argv[0]:  # bin/celery, or python -m celery (celery/__main__.py)
        for kind in ("worker", "beat"):
            if kind in argv[1:]:
                return kind
    return "web"


def configure(kind: str) -> bool:
    """Install the SDK for a process of ``kind`` if tracing is on; True if it is now."""
    global _provider
    if _provider is not None:
        return True
    names = exporter_names()
    if not names:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    attributes: dict[str, Any] = {"workflow.process": kind}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes["service.name"] = DEFAULT_SERVICE_NAME
    provider = TracerProvider(resource=Resource.create(attributes))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    _provider = provider
    engine_tracing.use(provider)
    instrument(kind, provider)
    log.info("tracing on (%s) in this %s process", ", ".join(names), kind)
    return True


def _exporter(name: str) -> Any:
    if name == "otlp":
        protocol = os.environ.get(
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
        )
        if protocol and protocol != "http/protobuf":
            raise ImproperlyConfigured(
                f"OTEL_EXPORTER_OTLP_PROTOCOL '{protocol}' is not supported: the platform "
                "exports OTLP over HTTP (http/protobuf); point it at the collector's port 4318."
            )
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter

    return ConsoleSpanExporter()


def _disabled() -> set[str]:
    raw = os.environ.get("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "")
    return {n.strip().lower() for n in raw.split(",") if n.strip()}


def instrumentations(kind: str) -> list[str]:
    """The libraries instrumented in a process of ``kind`` (the env var may drop some)."""
    wanted = [n for n in INSTRUMENTATIONS if n not in _disabled()]
    if kind != "web" and "django" in wanted:
        wanted.remove("django")  # workers and beat serve no request
    return wanted


def instrument(kind: str, provider: Any) -> list[str]:
    """Instrument Django, Celery, httpx and psycopg as :func:`instrumentations` says."""
    wanted = instrumentations(kind)
    for name in wanted:
        if name == "django":
            from opentelemetry.instrumentation.django import DjangoInstrumentor

            # The request span is the root of a start's trace.
            excluded = None if os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS") else QUIET_URLS
            DjangoInstrumentor().instrument(tracer_provider=provider, excluded_urls=excluded)
        elif name == "celery":
            from celery import current_app
            from opentelemetry.instrumentation.celery import CeleryInstrumentor

            # The engine sends its nudges by task name: the instrumentation ends a
            # publish span only for a task this process knows, so make them all known.
            current_app.autodiscover_tasks(force=True)
            CeleryInstrumentor().instrument(tracer_provider=provider)
        elif name == "httpx":
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            HTTPXClientInstrumentor().instrument(tracer_provider=provider)
        elif name == "psycopg":
            from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

            PsycopgInstrumentor().instrument(tracer_provider=provider)
    return wanted


def uninstrument(names: list[str]) -> None:
    """Undo :func:`instrument` (tests)."""
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    instrumentors = {
        "django": DjangoInstrumentor,
        "celery": CeleryInstrumentor,
        "httpx": HTTPXClientInstrumentor,
        "psycopg": PsycopgInstrumentor,
    }
    for name in names:
        instrumentors[name]().uninstrument()


def shutdown() -> None:
    """Export what is left and stop (process shutdown)."""
    if _provider is not None:
        _provider.shutdown()


def connect_worker_signals() -> None:
    """Set up tracing in the worker's processes at the right moment (module doc)."""
    from celery import signals

    def on_worker_init(sender: Any = None, **_: Any) -> None:
        pool = str(getattr(sender, "pool_cls", "prefork")).lower()
        if "prefork" not in pool and "processes" not in pool:
            configure("worker")

    def on_process_init(**_: Any) -> None:
        configure("worker")

    def on_process_shutdown(**_: Any) -> None:
        shutdown()

    signals.worker_init.connect(on_worker_init, weak=False, dispatch_uid="otel-worker-init")
    signals.worker_process_init.connect(
        on_process_init, weak=False, dispatch_uid="otel-worker-process-init"
    )
    signals.worker_process_shutdown.connect(
        on_process_shutdown, weak=False, dispatch_uid="otel-worker-process-shutdown"
    )
    signals.worker_shutdown.connect(
        on_process_shutdown, weak=False, dispatch_uid="otel-worker-shutdown"
    )
