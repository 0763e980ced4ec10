"""The baseline: a bare Celery chain of no-op tasks, with no durability at all.

Same broker and the same delivery settings as the platform (late acks, prefetch 1,
JSON), so the difference to the engine is only what the engine adds (or saves).
"""

import os

import redis
from celery import Celery

app = Celery("bare_chain", broker=os.environ["REDIS_URL"])
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_default_queue="bare",
    broker_connection_retry_on_startup=True,
)
_counter = redis.Redis.from_url(os.environ["REDIS_URL"])


@app.task(name="bare.step")
def step() -> None:
    """One no-op step of a chain."""


@app.task(name="bare.last")
def last() -> None:
    """The chain's last step: count the finished chain."""
    _counter.incr("bare:chains_done")
