"""Receivers of the engine's signals: every human-task change becomes a live hint, and
the inbox's search text follows the tasks and their instances' data.

They run inside the transaction that made the change (the engine sends its signals
there), so ``live.publish`` can defer or co-write the notification with it, and a search
row is written with the task it describes. Emails for assignment and escalation go out
after commit (notifications.py).
"""

from __future__ import annotations

from django.db.models.signals import post_save

from . import live, notifications, search


def connect() -> None:
    from workflow_platform.engine.models import HumanTask
    from workflow_platform.engine.signals import human_task_changed, instance_changed

    human_task_changed.connect(on_human_task_changed, dispatch_uid="inbox-live-task")
    post_save.connect(on_human_task_saved, sender=HumanTask, dispatch_uid="inbox-search-task")
    instance_changed.connect(on_instance_changed, dispatch_uid="inbox-search-instance")


def on_human_task_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or "title" in update_fields:
        search.index_task(instance)


def on_instance_changed(sender, instance, change: str, **kwargs) -> None:
    # Only a waiting instance can have open tasks (a human state waits for its decision).
    if instance.status == "waiting":
        search.index_open_tasks_of(instance)


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
