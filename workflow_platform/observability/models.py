"""Operational records that are not tenant data."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker proved it can take work and write to the database."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()
    pid = models.PositiveIntegerField()

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%H:%M:%S}"
