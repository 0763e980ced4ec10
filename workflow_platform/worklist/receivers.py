"""Keeps each task's search text up to date: a task saved, an instance's data changed."""

from __future__ import annotations

from django.db.models.signals import post_save

from workflow_platform.engine import kinds
from workflow_platform.engine.signals import Change

from . import search
from .models import HumanTask


def connect() -> None:
    post_save.connect(on_human_task_saved, sender=HumanTask, dispatch_uid="worklist-search-task")


def on_human_task_saved(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    if created or update_fields is None or "title" in update_fields:
        search.index_task(instance)


@kinds.journal_hook("after_rows")
def reindex_changed_data(moves, now) -> None:
    """The open tasks of instances whose data this commit changed, re-indexed together.

    Only a waiting instance can have open tasks (a human state waits for its decision),
    and only tasks opened before this commit can hold stale text: the ones it opened were
    indexed when saved. So a start, or a move that changed no data, costs no query.
    """
    changed = {
        move.instance.pk: move.instance
        for move in moves
        if move.instance.status == "waiting"
        and Change.STARTED not in move.changes
        and any(event.delta for event in move.history)
    }
    if changed:
        search.index_open_tasks_of(changed)
