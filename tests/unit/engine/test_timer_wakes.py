"""Short timers wake the sweep at their due time instead of waiting for its next tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from workflow_platform.engine import dispatch
from workflow_platform.engine.dispatch import _send_wakes as send_wakes  # before patching

pytestmark = pytest.mark.django_db


def test_wake_ups_are_sent_once_per_slot_and_only_for_short_timers(
    django_capture_on_commit_callbacks, monkeypatch
):
    from celery import current_app

    sent = []
    monkeypatch.setattr(dispatch, "_send_wakes", send_wakes)  # the real one, this test only
    monkeypatch.setattr(dispatch, "_wakes_sent", set())
    monkeypatch.setattr(dispatch, "_clock", lambda: 1000.0)  # slots are clock-aligned
    monkeypatch.setattr(
        current_app,
        "send_task",
        lambda name, queue, countdown: sent.append((name, queue, countdown)),
    )
    now = timezone.now()
    # Two retries due at the same moment, one in 3 s, one in 5 minutes.
    due = [now + timedelta(milliseconds=200), now + timedelta(milliseconds=200),
           now + timedelta(seconds=3), now + timedelta(minutes=5)]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.wake_for_timers(due, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.wake_for_timers(due[:1], now=now)  # the same slot again: nothing more
    assert [(name, queue) for name, queue, _ in sent] == [(dispatch.SWEEP_TIMERS, "timers")] * 2
    countdowns = sorted(countdown for _, _, countdown in sent)
    assert 0.15 <= countdowns[0] <= 0.3
    assert 2.9 <= countdowns[1] <= 3.1  # the 5-minute timer waits for the beat sweep


def test_a_retry_scheduled_by_a_step_asks_for_a_wake_up(
    publish, tenant_a, work, timer_wakes, django_capture_on_commit_callbacks
):
    from workflow_platform.engine import services

    from . import callables  # noqa: F401 - registers engine_tests.always_retryable
    from .conftest import linear

    action = {"type": "python", "params": {"callable": "engine_tests.always_retryable"},
              "retry": {"max_attempts": 3, "initial_interval": "200ms", "jitter": 0}}  # fmt: skip
    version = publish(linear(1, action=action))
    services.start_instance(tenant=tenant_a, definition_key=version.definition.key, data={})
    with django_capture_on_commit_callbacks(execute=True):
        work()
    ((delay,),) = timer_wakes  # one commit, one retry timer: one wake-up
    assert 0.15 < delay <= 0.2
