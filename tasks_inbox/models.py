"""The inbox's own rows: live notifications waiting to be relayed (embedded mode), the
operators' activity on tasks, and each task's search text.

Human tasks themselves are the engine's records (``engine.HumanTask``); the inbox only
adds the notification rows that carry "this task changed" from a worker process to the
web process when there is no Redis channel layer (docs/adr/0001-embedded-transports.md),
and what it needs to list and search them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflow_platform.tenancy.models import TenantOwned


class LiveNotification(TenantOwned):
    """One message for Channels groups, written in the transaction of the change it announces.

    The web process's relay (``live.py``) reads new rows and sends them into its in-process
    channel layer; old rows are pruned. Never the truth: a page re-syncs from the database.
    """

    groups = models.JSONField(help_text="Channels group names, e.g. ['tenant-1', 'group-3'].")
    message = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.message.get('change', 'message')} → {', '.join(self.groups)}"


class TaskActivity(TenantOwned):
    """The audit trail of what operators did to a human task (claim, release, ...)."""

    task = models.ForeignKey(
        "engine.HumanTask", on_delete=models.CASCADE, related_name="activities"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "task activities"

    def __str__(self) -> str:
        return f"{self.user} {self.action} task {self.task_id}"


class TaskSearchText(TenantOwned):
    """What the inbox's search matches for one human task: its title and its instance's
    data values, case-folded by Python so that non-ASCII text matches alike on SQLite and
    PostgreSQL (search.py keeps it up to date)."""

    task = models.OneToOneField(
        "engine.HumanTask", on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    text = models.TextField()

    def __str__(self) -> str:
        return f"search text of task {self.task_id}"
