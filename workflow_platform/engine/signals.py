"""The signal the engine sends inside the transaction that made the change.

Receivers (the inbox's live notifications, webhooks, observability) must not write to
the engine's rows and should defer anything slow or external with
``transaction.on_commit``: a signal sent in a transaction that later rolls back
describes a change that never happened. Human tasks have their own signal
(``worklist.signals.human_task_changed``).

- ``instance_changed(sender=Instance, instance, change)`` with ``change`` one of
  started, transitioned, waiting, completed, failed, incident, retried, cancelled,
  suspended, resumed, compensating, compensated, migrated.
"""

from __future__ import annotations

from django.dispatch import Signal

instance_changed = Signal()
