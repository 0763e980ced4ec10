"""What the engine tells observers about its work: trace spans and the step under way.

The engine speaks only OpenTelemetry's vendor-neutral API (``opentelemetry.trace``). The
SDK, its exporters and the instrumentations are set up by observability at process start
(workflow_platform/observability/tracing.py), which hands the engine its tracer with
:func:`use`; until then :func:`enabled` is false and no span is made: a step pays one
attribute check and one context variable (docs/adr/0015-traces-and-structured-logs.md).

An instance's steps run in many Celery messages, on any worker, after timers and events,
so the trace cannot ride on the messages alone (a nudge names no instance). Its start
span's W3C ``traceparent`` is stored on the instance row (``trace_context``, loaded by
every claim anyway) and each step's span is a child of it, linked to the message that
woke the worker. A child instance joins its parent's trace. :data:`step_context` holds
the tenant, instance and step a log line is about (the structured log formatter reads
it); the executor sets it for each step and resets it after.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from time import perf_counter
from typing import TYPE_CHECKING, Any, Protocol

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from workflow_platform.actions.base import ActionError

if TYPE_CHECKING:
    from .models import Instance

# The tenant, instance and step of the step under way (None outside steps).
step_context: ContextVar[dict[str, Any] | None] = ContextVar("workflow_step", default=None)

_propagator = TraceContextTextMapPropagator()
_tracer: trace.Tracer | None = None
_timings: Timings | None = None


class Timings(Protocol):
    """Who wants to know how long steps and action attempts take (observability's
    latency histograms); told after each, on the worker's thread."""

    def step(self, inst: Instance, seconds: float) -> None: ...

    def action(
        self, inst: Instance, *, kind: str, dependency: str, seconds: float, error: str
    ) -> None: ...


def listen(timings: Timings | None) -> None:
    """Tell ``timings`` how long each step and attempt takes (None: stop)."""
    global _timings
    _timings = timings


def use(provider: trace.TracerProvider | None) -> None:
    """Trace the engine's work with ``provider``'s tracer (None: stop tracing)."""
    global _tracer
    _tracer = None if provider is None else provider.get_tracer("workflow_platform.engine")


def enabled() -> bool:
    return _tracer is not None


def traceparent(span: Span) -> str:
    """The W3C ``traceparent`` of ``span`` ('' for a span that is not valid)."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent", "")


def context_of(value: str) -> Context | None:
    """The parent context a stored ``traceparent`` names; None when empty or malformed."""
    if not value:
        return None
    context = _propagator.extract({"traceparent": value})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def _attributes(inst: Instance) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "workflow.tenant": inst.tenant_id,
        "workflow.state": inst.state,
        "workflow.step": inst.step + 1,
        "workflow.attempt": inst.attempt,
    }
    if inst.pk is not None:
        attributes["workflow.instance.id"] = inst.pk
    # Only what is loaded already: a span never costs a query.
    model = type(inst)
    if model.version.is_cached(inst):
        version = inst.version
        attributes["workflow.version"] = version.number
        if type(version).definition.is_cached(version):
            attributes["workflow.definition"] = version.definition.key
    if model.definition.is_cached(inst):
        attributes["workflow.definition"] = inst.definition.key
    return attributes


@contextmanager
def starting(instances: Sequence[Instance]) -> Iterator[None]:
    """Around the insert of new instances: a ``workflow.start`` span for each.

    Each span is a child of the current span (the API request's, a step's) or, for a
    child instance, of its parent's start; its ``traceparent`` is stored on the instance
    before the insert. The spans end when the insert did (with its error if it failed).
    """
    tracer = _tracer
    if tracer is None:
        yield
        return
    spans = []
    for inst in instances:
        parent = inst.parent if type(inst).parent.is_cached(inst) else None
        context = context_of(parent.trace_context) if parent is not None else None
        span = tracer.start_span("workflow.start", context=context, attributes=_attributes(inst))
        inst.trace_context = traceparent(span)
        spans.append(span)
    try:
        yield
    except BaseException as error:
        for span in spans:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
        raise
    for inst, span in zip(instances, spans, strict=True):
        span.set_attribute("workflow.instance.id", inst.pk)
        span.set_attribute("workflow.status", inst.status)
        span.end()


class _Step:
    """The context of one step: its log fields always, its span when tracing is on."""

    __slots__ = ("began", "inst", "name", "span", "token", "use")

    def __init__(self, inst: Instance, name: str) -> None:
        self.inst = inst
        self.name = name
        self.span: Span | None = None
        self.use: Any = None
        self.began = 0.0

    def __enter__(self) -> Span | None:
        inst = self.inst
        self.token = step_context.set(
            {"tenant": inst.tenant_id, "instance": inst.pk, "step": inst.step + 1}
        )
        tracer = _tracer
        if tracer is not None:
            woke = trace.get_current_span().get_span_context()  # the message's span
            links = [Link(woke)] if woke.is_valid else None
            self.span = tracer.start_span(
                self.name,
                context=context_of(inst.trace_context) or Context(),
                attributes=_attributes(inst),
                links=links,
            )
            self.use = trace.use_span(self.span, end_on_exit=True, record_exception=True)
            self.use.__enter__()
        if _timings is not None:
            self.began = perf_counter()
        return self.span

    def __exit__(self, kind, error, tb) -> None:
        try:
            timings = _timings
            if timings is not None and self.began and self.name == "workflow.step":
                timings.step(self.inst, perf_counter() - self.began)
            if self.use is not None:
                span = self.span
                assert span is not None
                inst = self.inst
                span.set_attribute("workflow.state.after", inst.state)
                span.set_attribute("workflow.status", inst.status)
                self.use.__exit__(kind, error, tb)
        finally:
            step_context.reset(self.token)


def step(inst: Instance, name: str = "workflow.step") -> _Step:
    """``with step(inst):`` around one step of ``inst`` on a worker (or a poll of it)."""
    return _Step(inst, name)


class _Off:
    """The context of an action attempt while nobody listens: nothing at all."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_OFF = _Off()


class _Attempt:
    """One attempt of an action: its span (tracing on) and its time (timings listen)."""

    __slots__ = ("action", "began", "dependency", "error", "inst", "kind", "span", "use")

    def __init__(self, inst: Instance, action: str, kind: str, dependency: str) -> None:
        self.inst, self.action, self.kind, self.dependency = inst, action, kind, dependency
        self.span: Span | None = None
        self.use: Any = None
        self.error = ""
        self.began = 0.0

    def __enter__(self) -> _Attempt:
        tracer = _tracer
        if tracer is not None:
            attributes = _attributes(self.inst)
            attributes.update(
                {
                    "workflow.action": self.action,
                    "workflow.action.type": self.kind,
                    "workflow.dependency": self.dependency,
                }
            )
            self.use = tracer.start_as_current_span(
                "workflow.action", kind=SpanKind.CLIENT, attributes=attributes
            )
            self.span = self.use.__enter__()
        self.began = perf_counter()
        return self

    def __exit__(self, kind, error, tb) -> None:
        seconds = perf_counter() - self.began
        if isinstance(error, ActionError):
            failed(self, error.code, str(error))
        elif error is not None and not self.error:
            self.error = getattr(error, "code", None) or type(error).__name__
        timings = _timings
        if timings is not None:
            timings.action(
                self.inst,
                kind=self.kind,
                dependency=self.dependency,
                seconds=seconds,
                error=self.error,
            )
        if self.use is not None:
            self.use.__exit__(kind, error, tb)


def action_attempt(inst: Instance, *, action: str, kind: str, dependency: str) -> Any:
    """``with action_attempt(...):`` around one attempt of an action: a
    ``workflow.action`` span (a child of the step's) and its time for the listening
    timings, both marked with the code of an ``ActionError`` that leaves it; nothing
    while neither is on."""
    if _tracer is None and _timings is None:
        return _OFF
    return _Attempt(inst, action, kind, dependency)


def failed(attempt: _Attempt | None, code: str, message: str) -> None:
    """Mark an action's attempt (its span) as failed with the action's error ``code``."""
    if attempt is None:
        return
    attempt.error = code
    if attempt.span is not None:
        attempt.span.set_attribute("workflow.error.code", code)
        attempt.span.set_status(Status(StatusCode.ERROR, message[:200]))


@contextmanager
def resumed(name: str, value: str, attributes: dict[str, Any]) -> Iterator[Span | None]:
    """A span named ``name`` under the stored ``traceparent`` ``value`` (a webhook's)."""
    tracer = _tracer
    if tracer is None:
        yield None
        return
    context = context_of(value)
    woke = trace.get_current_span().get_span_context()
    links = [Link(woke)] if context is not None and woke.is_valid else None
    with tracer.start_as_current_span(
        name, context=context, kind=SpanKind.CLIENT, attributes=attributes, links=links
    ) as span:
        yield span
