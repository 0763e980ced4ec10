"""The Celery shell of webhook delivery.

``webhooks.timers.deliver_webhooks`` runs on the ``timers`` queue after every commit
that recorded a delivery. Retries are rows with a due time; so that they come due
without a beat entry, a sweep that leaves pending rows asks for one more sweep when the
earliest is due (at most a minute ahead, one such nudge at a time). The rows stay the
truth: a lost nudge is only a late delivery, and a periodic beat entry makes it punctual
again.
"""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from .delivery import deliver_due, seconds_until_next_due

NUDGE_KEY = "webhooks:sweep-nudged"
MAX_NUDGE_SECONDS = 60


@shared_task(name="webhooks.timers.deliver_webhooks", ignore_result=True)
def deliver_webhooks() -> int:
    attempted = deliver_due()
    wait = seconds_until_next_due()
    if wait is not None:
        countdown = min(max(wait, 1.0), MAX_NUDGE_SECONDS)
        # add() is atomic: only the first sweep to see pending rows schedules the nudge.
        if cache.add(NUDGE_KEY, 1, timeout=int(countdown)):
            deliver_webhooks.apply_async(countdown=countdown)
    return attempted
