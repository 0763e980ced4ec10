"""Receivers of the worklist's signal: every human-task change becomes a live hint.

They run inside the transaction that made the change (the worklist sends its signal
there), so ``live.publish`` can defer or co-write the notification with it. Emails for
assignment and escalation go out after commit (notifications.py).
"""

from __future__ import annotations

from workflow_platform.worklist.signals import human_task_changed

from . import live, notifications


def connect() -> None:
    human_task_changed.connect(on_human_task_changed, dispatch_uid="inbox-live-task")


def channels_for(task) -> list[str]:
    """The tenant channel (every inbox list) plus the task's group and assignee."""
    groups = [live.tenant_channel(task.tenant_id)]
    if task.group_id:
        groups.append(live.group_channel(task.group_id))
    if task.assignee_id:
        groups.append(live.user_channel(task.assignee_id))
    return groups


def on_human_task_changed(sender, task, change: str, **kwargs) -> None:
    live.publish(
        task.tenant_id,
        channels_for(task),
        {
            "task_id": task.pk,
            "change": change,
            "assignee_id": task.assignee_id,
            "revision": task.revision,
        },
    )
    notifications.on_task_changed(task, change)
