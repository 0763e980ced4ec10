"""Traces and log context of the engine's work, on the embedded default (in-memory spans).

An instance's start span is a child of the span that started it (the API request's);
every step, on whatever worker and after whatever timer, is a child of the start span;
each action attempt is a child of its step, and an HTTP action sends its span on as a
W3C ``traceparent``. With tracing off, nothing of it happens.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tests.factories import reload, start
from tests.integration.actions.dependency_server import DependencyServer
from workflow_platform.actions.registry import register_callable
from workflow_platform.engine import tracing
from workflow_platform.observability.logs import formatter

from . import callables  # noqa: F401 - registers engine_tests.* callables
from .conftest import linear

FLAKY = {"type": "python", "params": {"callable": "engine_tests.fail_twice"}}
LOGGED = {"type": "python", "params": {"callable": "tracing_tests.log"}}
step_logger = logging.getLogger("tracing_tests.step")


@register_callable("tracing_tests.log", in_thread=False)
def log_in_a_step(call):
    step_logger.warning("charging order %s", call.data.get("order"))
    return {"ok": True}


@pytest.fixture
def spans():
    """Tracing on, into memory, for this test only."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    yield provider, exporter
    tracing.use(None)
    provider.shutdown()


@pytest.fixture
def dependency():
    server = DependencyServer().start()
    yield server
    server.stop()


def named(exporter, name):
    return [s for s in exporter.get_finished_spans() if s.name == name]


def test_steps_and_action_attempts_are_children_of_the_start_in_the_requests_trace(
    tenant_a, publish, work, spans
):
    provider, exporter = spans
    version = publish(linear(2, action=FLAKY, key="flaky-two"))
    with provider.get_tracer("test").start_as_current_span("POST /api/instances/") as request:
        instance = start(tenant_a, version, {"n": 1})
    trace_id = request.get_span_context().trace_id
    assert instance.trace_context.startswith(f"00-{trace_id:032x}-")

    work(timers=True, rounds=30)  # two failed attempts wait on retry timers in between
    assert reload(tenant_a, instance).status == "completed"

    (started,) = named(exporter, "workflow.start")
    assert started.parent.span_id == request.get_span_context().span_id
    assert started.attributes["workflow.instance.id"] == instance.pk
    assert started.attributes["workflow.definition"] == "flaky-two"
    assert started.attributes["workflow.version"] == version.number
    steps = named(exporter, "workflow.step")
    actions = named(exporter, "workflow.action")
    assert {s.context.trace_id for s in [*steps, *actions]} == {trace_id}
    assert all(s.parent.span_id == started.context.span_id for s in steps)
    step_ids = {s.context.span_id for s in steps}
    assert all(a.parent.span_id in step_ids for a in actions)
    # Each step ran three attempts, the first two failed (and waited on a retry timer).
    attempts = [(a.attributes["workflow.step"], a.attributes["workflow.attempt"]) for a in actions]
    assert attempts == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    failed = [a for a in actions if a.status.status_code is StatusCode.ERROR]
    assert [a.attributes["workflow.error.code"] for a in failed] == ["flaky"] * 4
    first = actions[0].attributes
    assert first["workflow.instance.id"] == instance.pk
    assert first["workflow.state"] == "s0"
    assert first["workflow.action"] == "step"
    assert first["workflow.action.type"] == "python"


def test_an_http_action_sends_its_span_as_the_traceparent(
    make_tenant, publish, work, spans, dependency
):
    _, exporter = spans
    tenant = make_tenant("traced", "Traced", allow_private_network=True)
    action = {"type": "http", "params": {"method": "POST", "url": dependency.url + "/echo"}}
    instance = start(tenant, publish(linear(1, action=action), tenant=tenant))
    work()
    assert reload(tenant, instance).status == "completed"

    (request,) = dependency.requests_to("/echo")
    (action_span,) = named(exporter, "workflow.action")
    context = action_span.context
    sent = request["headers"]["traceparent"]
    assert sent == f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    assert context.trace_flags.sampled
    (started,) = named(exporter, "workflow.start")
    assert started.context.trace_id == context.trace_id  # no request: the start is the root
    assert started.parent is None


def test_a_child_instance_joins_its_parents_trace(tenant_a, publish, work, spans):
    _, exporter = spans
    child = publish({**linear(1), "key": "child-flow"})
    sub = {"type": "subworkflow", "params": {"workflow": child.definition.key}}
    parent = start(tenant_a, publish(linear(1, action=sub, key="parent-flow")))
    work(rounds=40)
    assert reload(tenant_a, parent).status == "completed"
    starts = {s.attributes["workflow.definition"]: s for s in named(exporter, "workflow.start")}
    assert starts["child-flow"].context.trace_id == starts["parent-flow"].context.trace_id
    assert starts["child-flow"].parent.span_id == starts["parent-flow"].context.span_id


def test_with_tracing_off_there_is_no_trace_context_and_no_traceparent(
    make_tenant, publish, work, dependency
):
    assert not tracing.enabled()
    tenant = make_tenant("untraced", "Untraced", allow_private_network=True)
    action = {"type": "http", "params": {"method": "POST", "url": dependency.url + "/echo"}}
    instance = start(tenant, publish(linear(1, action=action), tenant=tenant))
    work()
    assert reload(tenant, instance).trace_context == ""
    (request,) = dependency.requests_to("/echo")
    assert "traceparent" not in {k.lower() for k in request["headers"]}


@pytest.fixture
def json_lines():
    """What ``tracing_tests.step`` logs, through the production (JSON) formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    step_logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    step_logger.removeHandler(handler)


def test_a_steps_json_log_line_carries_tenant_instance_step_trace_and_span(
    tenant_a, publish, work, spans, json_lines
):
    _, exporter = spans
    instance = start(tenant_a, publish(linear(2, action=LOGGED)), {"order": "A-7"})
    work()
    first, second = json_lines()
    actions = named(exporter, "workflow.action")
    for line, step, span in zip((first, second), (1, 2), actions, strict=True):
        assert line["message"] == "charging order A-7"
        assert line["level"] == "warning"
        assert line["logger"] == "tracing_tests.step"
        assert (line["tenant"], line["instance"], line["step"]) == (tenant_a.pk, instance.pk, step)
        assert line["trace_id"] == f"{span.context.trace_id:032x}"
        assert line["span_id"] == f"{span.context.span_id:016x}"
        assert line["timestamp"].endswith("Z")


def test_log_lines_outside_steps_carry_no_step_fields(tenant_a, publish, work, json_lines):
    start(tenant_a, publish(linear(1, action=LOGGED)), {"order": "B-1"})
    work()
    step_logger.warning("between steps")
    in_step, outside = json_lines()
    assert "instance" in in_step and "trace_id" not in in_step  # tracing is off
    assert not {"tenant", "instance", "step", "trace_id", "span_id"} & outside.keys()
