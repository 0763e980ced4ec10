"""Celery tasks of observability: thin shells over plain functions."""

import os

from celery import shared_task
from django.utils import timezone

from .models import WorkerHeartbeat


@shared_task(name="observability.timers.record_heartbeat", bind=True)
def record_heartbeat(self) -> str:
    """Record that this worker is alive; the operations pages show stale workers."""
    hostname = self.request.hostname or "unknown"
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now(), "pid": os.getpid()}
    )
    return hostname
