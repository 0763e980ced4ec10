"""The hard time limit is the worker's (docs/engine.md): a sender's own limit, which Celery
binds to every task it has registered, never travels in the message."""

from __future__ import annotations

import json

from django.conf import settings

from workflow_platform.celery import app
from workflow_platform.engine import tasks  # noqa: F401 - registers them, as a web process may


def test_a_message_carries_no_time_limit_of_the_process_that_sent_it(clean_broker):
    task = app.tasks["engine.steps.run_ready"]  # registered here: Celery bound our limit
    assert task.time_limit == settings.CELERY_TASK_TIME_LIMIT
    app.send_task("engine.steps.run_ready", queue="wi-time-limit-probe")
    message = json.loads(clean_broker.lpop("wi-time-limit-probe"))
    assert message["headers"]["timelimit"] == [None, None]
