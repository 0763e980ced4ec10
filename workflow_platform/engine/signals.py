"""The signal the engine sends inside the transaction that made the change, and its names.

Receivers (the inbox's live notifications, webhooks, observability) must not write to
the engine's rows and should defer anything slow or external with
``transaction.on_commit``: a signal sent in a transaction that later rolls back
describes a change that never happened. Human tasks have their own signal
(``worklist.signals.human_task_changed``).

- ``instance_changed(sender=Instance, instance, change)`` with ``change`` a
  :class:`Change` (a ``str``, so receivers may compare it with plain names).
"""

from __future__ import annotations

from enum import StrEnum

from django.dispatch import Signal

instance_changed = Signal()


class Change(StrEnum):
    """What a commit did to an instance; a move lists the changes its commit announces."""

    STARTED = "started"
    TRANSITIONED = "transitioned"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    INCIDENT = "incident"
    RETRIED = "retried"
    REDRIVEN = "redriven"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    MIGRATED = "migrated"
