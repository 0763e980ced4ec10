"""One instance's trace end to end: web → Celery worker process → HTTP action and webhook.

The API request runs in this process (Django and Celery instrumented, spans kept in
memory); the steps run in a real ``celery worker`` process that exports its spans over
OTLP/HTTP to a loopback receiver and logs JSON lines; the HTTP action's dependency and the webhook
subscriber are loopback servers that record the ``traceparent`` they get. Every span
and header belongs to the one trace the request began.
"""

from __future__ import annotations

import json
import time

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.factories import api_client, make_member, make_tenant
from tests.integration.actions.dependency_server import DependencyServer
from tests.integration.otlp_receiver import OtlpReceiver
from tests.unit.api.webhook_receiver import WebhookReceiver
from workflow_platform.engine import tracing
from workflow_platform.observability import tracing as setup


def charge(url: str) -> dict:
    return {
        "format": "workflow-island/v1",
        "key": "traced-charge",
        "initial": "charging",
        "states": [{"name": "charging"}, {"name": "charged", "kind": "final"}],
        "transitions": [{"from": "charging", "to": "charged", "action": "charge"}],
        "actions": {
            "charge": {
                "type": "http",
                "params": {"method": "POST", "url": url, "body": {"order": "{{ data.order }}"}},
                "dependency": "payments",
            }
        },
        "dependencies": {"payments": {}},
    }


@pytest.fixture
def traced_web():
    """This process as a traced web process: its spans in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    names = setup.instrument("web", provider)
    tracing.use(provider)
    yield exporter
    tracing.use(None)
    setup.uninstrument(names)
    provider.shutdown()


def wait_until(predicate, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def test_one_trace_from_the_api_request_through_the_worker_to_the_http_call_and_webhook(
    transactional_db, start_worker, traced_web
):
    tenant = make_tenant("traced", "Traced", allow_private_network=True)  # loopback servers
    admin = make_member(tenant, "admin", "trace-admin", password="pw-x-1234")
    client = api_client(tenant, admin, token_name="t")
    dependency = DependencyServer().start()
    with OtlpReceiver() as collector, WebhookReceiver() as subscriber:
        worker = start_worker(
            env={
                "WORKFLOW_LOG_FORMAT": "json",
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
                "OTEL_SERVICE_NAME": "traced-worker",
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            }
        )
        hook = {"url": subscriber.url, "events": ["instance.completed"]}
        assert client.post("/api/webhooks/", hook, format="json").status_code == 201
        document = charge(dependency.url + "/echo")
        created = client.post(
            "/api/definitions/",
            {"key": "traced-charge", "name": "Charge", "document": document},
            format="json",
        )
        assert created.status_code == 201, created.json()
        client.post(f"/api/versions/{created.json()['id']}/publish/")
        traced_web.clear()

        started = client.post(
            "/api/instances/", {"definition": "traced-charge", "data": {"order": "A-7"}},
            format="json",
        )  # fmt: skip
        assert started.status_code == 201, started.json()
        instance_id = started.json()["id"]
        wait_until(lambda: subscriber.received and dependency.requests_to("/echo"))
        wait_until(lambda: collector.named("webhook.deliver") and len(collector.named("POST")) > 1)
    dependency.stop()

    web = traced_web.get_finished_spans()
    (request,) = [s for s in web if s.kind is SpanKind.SERVER]
    trace_id = request.context.trace_id
    (start,) = [s for s in web if s.name == "workflow.start"]
    assert start.parent.span_id == request.context.span_id
    assert start.attributes["workflow.instance.id"] == instance_id
    (publish,) = [s for s in web if s.name == "apply_async/engine.starts.run_new"]
    assert publish.context.trace_id == trace_id

    def one(name: str):
        (span,) = [s for s in collector.spans if s.name == name]
        assert span.service == "traced-worker"
        assert span.trace_id == f"{trace_id:032x}", name
        return span

    run = one("run/engine.starts.run_new")
    assert run.parent_span_id == f"{publish.context.span_id:016x}"  # through the message
    step = one("workflow.step")
    assert step.parent_span_id == f"{start.context.span_id:016x}"  # through the row
    assert (run.trace_id, run.span_id) in step.links
    assert step.attributes["workflow.instance.id"] == instance_id
    assert step.attributes["workflow.definition"] == "traced-charge"
    action = one("workflow.action")
    assert action.parent_span_id == step.span_id
    assert action.attributes["workflow.dependency"] == "payments"
    assert action.attributes["workflow.attempt"] == 1
    posts = {s.parent_span_id: s for s in collector.named("POST")}  # httpx's client spans
    http = posts[action.span_id]
    assert http.trace_id == f"{trace_id:032x}"
    (call,) = dependency.requests_to("/echo")
    assert call["headers"]["traceparent"].startswith(f"00-{trace_id:032x}-{http.span_id}-")

    deliver = one("webhook.deliver")  # a later message, on the timers queue
    assert deliver.parent_span_id == f"{start.context.span_id:016x}"
    assert deliver.attributes["webhook.event"] == "instance.completed"
    hook_post = posts[deliver.span_id]
    headers, _ = subscriber.received[0]
    assert headers["traceparent"].startswith(f"00-{trace_id:032x}-{hook_post.span_id}-")

    # The worker's log line from inside the HTTP action (httpx's) names all of it.
    text = worker.log_path.read_text()  # Celery's banner, then one JSON object per line
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    (logged,) = [line for line in lines if "/echo" in line["message"]]
    assert logged["logger"] == "httpx"
    assert (logged["tenant"], logged["instance"], logged["step"]) == (tenant.pk, instance_id, 1)
    assert (logged["trace_id"], logged["span_id"]) == (action.trace_id, action.span_id)
    assert logged["task"] == "engine.starts.run_new"
