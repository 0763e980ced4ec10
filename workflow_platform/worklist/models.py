"""Human tasks, their audit trail and search text: the worklist's records.

A ``human`` state of an instance opens a :class:`HumanTask`; operators claim, hand on and
decide it. The rows moved here from the engine and the inbox without a data migration
(docs/adr/0012-the-worklist.md): the tables keep their names. Every change of a task
after it is opened goes through :meth:`HumanTask.change`, the one place its revision is
bumped and its change announced.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from workflow_platform.tenancy.models import OperatorGroup, TenantOwned

from .signals import human_task_changed


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (TaskStatus.OPEN, TaskStatus.CLAIMED)


class HumanTask(TenantOwned):
    """The record a ``human`` state opens for operators; the inbox lists these."""

    instance = models.ForeignKey("engine.Instance", on_delete=models.CASCADE, related_name="tasks")
    state = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    form = models.JSONField(default=dict, blank=True)
    decisions = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN, db_index=True
    )
    priority = models.IntegerField(default=0)
    group = models.ForeignKey(
        OperatorGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )
    due_at = models.DateTimeField(null=True, blank=True)
    escalate_to = models.JSONField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    routing_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=100, blank=True)
    decision_data = models.JSONField(null=True, blank=True)
    # Bumped on every change (by change() only): the inbox's optimistic concurrency check.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "engine_humantask"
        indexes = [models.Index(fields=["tenant", "status", "-priority"], name="task_queue")]
        ordering = ["-priority", "created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def is_done(self) -> bool:
        return self.status in (TaskStatus.COMPLETED, TaskStatus.CANCELLED)

    def change(self, change: str, *, guard: Q | None = None, **values: Any) -> bool:
        """Set ``values`` and bump the revision in one UPDATE, if the row still matches
        ``guard``; then reload the task and announce ``change`` (in the caller's
        transaction). False, and nothing written, when the row no longer matches."""
        condition = Q(pk=self.pk) if guard is None else Q(pk=self.pk) & guard
        updated = (
            type(self)
            .objects.with_scopes_disabled()
            .filter(condition)
            .update(revision=F("revision") + 1, **values)
        )
        if updated != 1:
            return False
        self.refresh_from_db()
        human_task_changed.send(sender=type(self), task=self, change=change)
        return True

    def cancel(self, *, change: str = "cancelled") -> bool:
        return self.change(change, guard=Q(status__in=OPEN_STATUSES), status=TaskStatus.CANCELLED)

    def complete(self, *, decision: str, data: dict, user, now=None) -> bool:
        return self.change(
            "completed",
            guard=Q(status__in=OPEN_STATUSES),
            status=TaskStatus.COMPLETED,
            decision=decision,
            decision_data=data,
            completed_at=now or timezone.now(),
            completed_by=user,
        )


class TaskActivity(TenantOwned):
    """The audit trail of what operators did to a human task (claim, release, ...)."""

    task = models.ForeignKey(HumanTask, on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=32)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "tasks_inbox_taskactivity"
        ordering = ["at", "id"]
        verbose_name_plural = "task activities"

    def __str__(self) -> str:
        return f"{self.user} {self.action} task {self.task_id}"


class TaskSearchText(TenantOwned):
    """What a task search matches for one human task: its title and its instance's data
    values, case-folded by Python so that non-ASCII text matches alike on SQLite and
    PostgreSQL (search.py keeps it up to date)."""

    task = models.OneToOneField(
        HumanTask, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    text = models.TextField()

    class Meta:
        db_table = "tasks_inbox_tasksearchtext"

    def __str__(self) -> str:
        return f"search text of task {self.task_id}"
