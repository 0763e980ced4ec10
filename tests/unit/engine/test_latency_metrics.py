"""Step and action latency histograms, observed by the engine's timings listener."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tests.factories import start
from workflow_platform.engine import tracing
from workflow_platform.observability import latency

from . import callables  # noqa: F401 - registers engine_tests.* callables
from .conftest import linear

FLAKY = {"type": "python", "params": {"callable": "engine_tests.fail_twice"}}


@pytest.fixture
def timings():
    tracing.listen(latency.Timings())
    yield lambda name, **labels: REGISTRY.get_sample_value(name, labels) or 0.0
    tracing.listen(None)


def test_every_step_and_attempt_is_observed_with_its_labels(tenant_a, publish, work, timings):
    version = publish(linear(2, action=FLAKY, key="timed-flaky"))
    step = {"tenant": tenant_a.slug, "definition": "timed-flaky"}
    kind = {"action_type": "python", "dependency": ""}
    before = {
        "steps": timings("workflow_step_duration_seconds_count", **step),
        "ok": timings("workflow_action_duration_seconds_count", **kind, outcome="ok"),
        "error": timings("workflow_action_duration_seconds_count", **kind, outcome="error"),
        "flaky": timings("workflow_action_errors_total", **kind, code="flaky"),
        "retries": timings("workflow_action_retries_total", **kind),
    }
    start(tenant_a, version)
    work(timers=True, rounds=30)
    # Two steps of three attempts each, the first two failing: six steps ran on a worker
    # (each failed attempt ends its step; the retry is a step of its own).
    assert timings("workflow_step_duration_seconds_count", **step) - before["steps"] == 6
    assert (
        timings("workflow_action_duration_seconds_count", **kind, outcome="ok") - before["ok"] == 2
    )
    assert (
        timings("workflow_action_duration_seconds_count", **kind, outcome="error") - before["error"]
        == 4
    )
    assert timings("workflow_action_errors_total", **kind, code="flaky") - before["flaky"] == 4
    assert timings("workflow_action_retries_total", **kind) - before["retries"] == 4
    assert timings("workflow_step_duration_seconds_sum", **step) > 0


def test_without_a_listener_nothing_is_timed(tenant_a, publish, work):
    version = publish(linear(1, action=FLAKY, key="untimed"))
    labels = {"tenant": tenant_a.slug, "definition": "untimed"}
    start(tenant_a, version)
    work(timers=True, rounds=30)
    assert REGISTRY.get_sample_value("workflow_step_duration_seconds_count", labels) is None
