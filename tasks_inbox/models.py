"""The inbox's own rows: live notifications waiting to be relayed (embedded mode).

Human tasks, their activity and search text are the worklist's records
(``workflow_platform.worklist``); the inbox only adds the notification rows that carry
"this task changed" from a worker process to the web process when there is no Redis
channel layer (docs/adr/0001-embedded-transports.md).
"""

from __future__ import annotations

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
