"""The Celery application: the transport that carries engine work between processes.

The database is the source of truth (docs/adr/0003-database-is-the-truth.md); Celery only
says "look at this now". Queues are separate so in-flight work is never starved by a
flood of new starts (seed 002, "Workflow Scheduling"):

- ``steps``  in-flight steps of running instances (highest priority)
- ``starts`` first steps of newly started instances
- ``waits``  polls of async actions, at a slower rate (seed 002, "Wait Queue")
- ``timers`` the scheduler's sweeps: due timers, expired leases, the outbox

On RabbitMQ (``CELERY_BROKER_URL=amqp://...``) the queues are quorum queues, each bound
to a topic exchange of its own name (Celery's native delayed delivery, which carries the
timer wake-ups' countdowns on quorum queues, needs a topic exchange), with the consumer
timeout ``WORKFLOW_AMQP_CONSUMER_TIMEOUT`` (docs/deploy.md).

Task names carry their queue (``<app>.<queue>.<verb>``) and are routed by that prefix.
"""

from __future__ import annotations

import os

from celery import Celery, signals
from django.conf import settings
from kombu import Exchange, Queue

from workflow_platform import embedded_broker
from workflow_platform.observability.logs import use_in_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")

QUEUES = ("steps", "starts", "waits", "timers")

embedded_broker.register()
app = Celery("workflow_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")


def task_queues(broker_is_amqp: bool, consumer_timeout: float) -> list[Queue]:
    """The platform's queue topology: plain queues on Redis and the embedded broker;
    on RabbitMQ durable quorum queues with a consumer timeout (``x-consumer-timeout``,
    milliseconds; RabbitMQ 3.12+ applies it, older servers apply ``consumer_timeout``
    of rabbitmq.conf)."""
    if not broker_is_amqp:
        return [Queue(name) for name in QUEUES]
    arguments = {"x-queue-type": "quorum", "x-consumer-timeout": int(consumer_timeout * 1000)}
    return [
        Queue(
            name,
            Exchange(name, type="topic", durable=True),
            routing_key=name,
            durable=True,
            queue_arguments=arguments,
        )
        for name in QUEUES
    ]


@app.on_after_configure.connect
def declare_task_queues(sender, source, **_kwargs) -> None:
    """The queues, once Celery has read the settings. Not at import: importing this module
    (every ``import workflow_platform`` does) must not load Django's settings, or a web
    process would read them before web_process.py turns its database pool on."""
    source.task_queues = task_queues(
        settings.BROKER_IS_AMQP, settings.WORKFLOW_AMQP_CONSUMER_TIMEOUT
    )


app.conf.task_default_queue = "steps"
app.conf.task_routes = {f"*.{name}.*": {"queue": name} for name in QUEUES}
# Periodic sweeps; each is cheap when there is nothing to do. Timers are rows with a due
# time, so the beat interval bounds timer lateness, not correctness.
app.conf.beat_schedule = {
    "sweep-due-timers": {"task": "engine.timers.sweep_due_timers", "schedule": 1.0},
    "sweep-expired-leases": {"task": "engine.timers.sweep_expired_leases", "schedule": 5.0},
    "sweep-outbox": {"task": "engine.timers.sweep_outbox", "schedule": 2.0},
    "worker-heartbeat": {"task": "observability.timers.record_heartbeat", "schedule": 10.0},
}
app.autodiscover_tasks()


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def structured_logs(logger, **_kwargs) -> None:
    """Worker and beat log lines in the platform's structured format, like the web's."""
    use_in_celery(logger, settings.WORKFLOW_LOG_FORMAT)


@signals.before_task_publish.connect
def leave_time_limits_to_the_worker(headers=None, **_kwargs) -> None:
    """A message carries no time limit: the worker that runs it applies its own
    (``WORKFLOW_TASK_TIME_LIMIT``). Celery stamps a task's limits, read from the *sending*
    process's settings, into the message, and a worker obeys those over its own, so a
    worker configured apart from the web (or the scheduler) would not get its limit."""
    if headers is not None and "timelimit" in headers:
        headers["timelimit"] = (None, None)
