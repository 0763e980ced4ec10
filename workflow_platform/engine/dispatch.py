"""Nudges: the Celery messages that tell workers "there is ready work, claim it".

A message names no instance and carries no state: the ``ready`` flag committed with the
change is the durable record of the work (the outbox, docs/adr/0006). So a lost message
costs only latency (the outbox sweep nudges again), and a duplicate or stale one claims
nothing or claims other ready work: never a second transition. Nudges are sent after
the commit that made the work ready (``transaction.on_commit``), by task name, so the
engine does not import the Celery app.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

RUN_READY = "engine.steps.run_ready"
RUN_NEW = "engine.starts.run_new"


def _send(name: str, queue: str, count: int) -> None:
    from celery import current_app

    try:
        for _ in range(count):
            current_app.send_task(name, queue=queue)
    except Exception:  # the broker is down: the outbox sweep re-nudges once it is back
        log.warning("could not nudge %s; the outbox sweep will", queue, exc_info=True)


def messages_for(count: int) -> int:
    """How many messages wake enough workers for ``count`` ready instances."""
    batch = max(1, settings.WORKFLOW_CLAIM_BATCH)
    return max(1, min(64, -(-count // batch)))


def nudge_steps(count: int = 1) -> None:
    """After the current transaction commits, wake workers for in-flight instances."""
    transaction.on_commit(lambda: _send(RUN_READY, "steps", messages_for(count)))


def nudge_starts(count: int = 1) -> None:
    """After the current transaction commits, wake workers for new instances."""
    transaction.on_commit(lambda: _send(RUN_NEW, "starts", messages_for(count)))
