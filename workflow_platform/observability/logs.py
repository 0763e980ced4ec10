"""Structured logs: every line as JSON (production) or a readable console line (``./run``).

The code logs through the standard library (``logging.getLogger(__name__)``), and so do
Django, Celery and every library; structlog's ``ProcessorFormatter`` is the formatter of
the handlers, so their lines come out alike (docs/adr/0015-traces-and-structured-logs.md).
Each line gets, where they apply: ``tenant``, ``instance`` and ``step`` of the step under
way (the engine sets them for each step, workflow_platform/engine/tracing.py), ``task``
and ``task_id`` of the Celery task under way, and ``trace_id`` and ``span_id`` of the
current span when tracing is on. The format is
``WORKFLOW_LOG_FORMAT`` (``json`` or ``console``; docs/configuration.md).
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from celery import current_task
from opentelemetry import trace

from workflow_platform.engine.tracing import step_context

FORMATS = ("json", "console")


def add_workflow_context(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """The step's tenant, instance and step, the Celery task, the trace and span ids."""
    step = step_context.get()
    if step is not None:
        for key, value in step.items():
            event.setdefault(key, value)
    task = current_task  # Celery's task under way in this thread (a proxy; falsy if none)
    if task:
        event.setdefault("task", task.name)
        event.setdefault("task_id", task.request.id)
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event.setdefault("trace_id", f"{span.trace_id:032x}")
        event.setdefault("span_id", f"{span.span_id:016x}")
    return event


def _drop_color_message(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    event.pop("color_message", None)  # uvicorn/daphne-style duplicates of the message
    return event


def _pre_chain() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_workflow_context,
        _drop_color_message,
    ]


def formatter(output: str = "console") -> structlog.stdlib.ProcessorFormatter:
    """The logging formatter for ``output`` (``json``: one JSON object per line)."""
    if output not in FORMATS:
        raise ValueError(f"WORKFLOW_LOG_FORMAT is json or console, not {output!r}.")
    renderer: Any
    if output == "json":
        renderer = structlog.processors.JSONRenderer()
        # "message", the key log collectors look for (structlog's own is "event").
        tail: list[Any] = [
            structlog.processors.dict_tracebacks,
            structlog.processors.EventRenamer("message"),
        ]
    else:
        # Plain tracebacks: a rich one would print every frame's locals (secrets too).
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )
        tail = []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_pre_chain(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tail,
            renderer,
        ],
    )


def use_in_celery(logger: logging.Logger, output: str) -> None:
    """Give the handlers Celery set up (worker, beat) the structured formatter."""
    structured = formatter(output)
    for handler in logger.handlers:
        handler.setFormatter(structured)
