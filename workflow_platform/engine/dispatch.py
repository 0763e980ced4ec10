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
import time

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

RUN_READY = "engine.steps.run_ready"
RUN_NEW = "engine.starts.run_new"
SWEEP_TIMERS = "engine.timers.sweep_due_timers"

# Timers due sooner than settings.WORKFLOW_TIMER_WAKE_HORIZON seconds get a wake-up at
# their due time besides the beat sweep, so a retry in 200 ms or a step throttled to its
# rate limit's next token is not held to the sweep's 1 s tick (a saturated dependency
# would then be called only ``burst`` times a second). Further timers wait for the
# sweep: the row is the truth either way.
# Wake-ups for due times in one such slot are sent once per process.
WAKE_SLOT = 0.05
_wakes_sent: set[int] = set()
_clock = time.monotonic  # slots are counted on it (tests fix it)


def send_now(name: str, queue: str, count: int = 1) -> None:
    """Send ``count`` wake-up messages now (not after a commit); a lost one is re-sent."""
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
    transaction.on_commit(lambda: send_now(RUN_READY, "steps", messages_for(count)))


def nudge_starts(count: int = 1) -> None:
    """After the current transaction commits, wake workers for new instances."""
    transaction.on_commit(lambda: send_now(RUN_NEW, "starts", messages_for(count)))


def wake_for_timers(due_times: list, *, now) -> None:
    """After the current transaction commits, sweep the timers at their due times."""
    delays = sorted({(due - now).total_seconds() for due in due_times})
    delays = [d for d in delays if d < settings.WORKFLOW_TIMER_WAKE_HORIZON]
    if delays:
        transaction.on_commit(lambda: _send_wakes(delays))


def _send_wakes(delays: list[float]) -> None:
    from celery import current_app

    clock = _clock()
    slots = {int((clock + max(0.0, d)) / WAKE_SLOT) + 1 for d in delays}
    _wakes_sent.difference_update({s for s in _wakes_sent if s * WAKE_SLOT < clock})
    try:
        for slot in sorted(slots - _wakes_sent):
            current_app.send_task(
                SWEEP_TIMERS, queue="timers", countdown=max(0.0, slot * WAKE_SLOT - clock)
            )
            _wakes_sent.add(slot)
    except Exception:  # the broker is down: the beat sweep still fires every timer
        log.warning("could not schedule a timer wake-up; the sweep will", exc_info=True)
