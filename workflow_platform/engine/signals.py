"""Signals the engine sends inside the transaction that made the change.

Receivers (the inbox's live notifications, observability) must not write to the
engine's rows and should defer anything slow or external with
``transaction.on_commit``: a signal sent in a transaction that later rolls back
describes a change that never happened.

- ``human_task_changed(sender=HumanTask, task, change)`` with ``change`` one of
  created, claimed, released, completed, escalated, reassigned, cancelled, snoozed.
- ``instance_changed(sender=Instance, instance, change)`` with ``change`` one of
  started, transitioned, waiting, completed, failed, incident, retried, cancelled
  (issue 6 adds suspended, resumed, compensating, compensated, migrated).
"""

from __future__ import annotations

from django.dispatch import Signal

human_task_changed = Signal()
instance_changed = Signal()

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
