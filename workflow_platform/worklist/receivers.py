"""Keeps each task's search text up to date: a task saved, an instance's data changed."""

from __future__ import annotations

from django.db.models.signals import post_save

from workflow_platform.engine.signals import instance_changed

from . import search
from .models import HumanTask


def connect() -> None:
    post_save.connect(on_human_task_saved, sender=HumanTask, dispatch_uid="worklist-search-task")
    instance_changed.connect(on_instance_changed, dispatch_uid="worklist-search-instance")


def on_human_task_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or "title" in update_fields:
        search.index_task(instance)


def on_instance_changed(sender, instance, change: str, **kwargs) -> None:
    # Only a waiting instance can have open tasks (a human state waits for its decision).
    if instance.status == "waiting":
        search.index_open_tasks_of(instance)
