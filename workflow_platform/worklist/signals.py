"""The signal the worklist sends inside the transaction that changed a task.

``human_task_changed(sender=HumanTask, task, change)`` with ``change`` one of
:data:`TASK_CHANGES`. Receivers (the inbox's live updates, webhooks) must not write
tasks and should defer anything slow with ``transaction.on_commit``: a signal sent in a
transaction that rolls back describes a change that never happened.
"""

from __future__ import annotations

from django.dispatch import Signal

human_task_changed = Signal()

TASK_CHANGES = (
    "created",
    "claimed",
    "released",
    "completed",
    "escalated",
    "reassigned",
    "cancelled",
    "snoozed",
)
