"""Live notifications: tell the Channels groups of a tenant that something changed.

``publish`` is called from signal receivers *inside* the transaction that made the change
(the engine's, or an inbox service's). Two transports, one promise (a message only ever
announces a committed change, and it is only a hint: pages re-read the database):

- **Redis** (``settings.CHANNEL_LAYER_URL`` set): the message is sent to the Redis channel
  layer after the transaction commits (``transaction.on_commit``); a rolled-back change
  sends nothing.
- **Embedded** (no channel layer server): the message is written as a ``LiveNotification``
  row in the same transaction. Each web process runs one relay (an asyncio task started
  by the first websocket that connects) that polls new rows every ~200 ms and sends them
  into its in-process layer, and prunes old rows (docs/adr/0001-embedded-transports.md).

Group names: ``tenant-<id>``, ``group-<id>`` (operator group), ``user-<id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from workflow_platform.tenancy.scoping import all_tenants

from .models import LiveNotification

log = logging.getLogger(__name__)

# The consumer method that handles every live message (InboxConsumer.inbox_event).
MESSAGE_TYPE = "inbox.event"
# The ``change`` of a message telling a user's sockets that their access changed
# (membership removed, groups changed, account deactivated): each checks it again.
ACCESS_CHANGED = "access-changed"
POLL_INTERVAL = 0.2
# A row is looked at again for this long after it was written, so a transaction that
# commits after a younger one (ids are not commit order on PostgreSQL) is still relayed.
COMMIT_GRACE = timedelta(seconds=5)
KEEP_FOR = timedelta(minutes=10)
PRUNE_EVERY = 60.0


def tenant_channel(tenant_id: int) -> str:
    return f"tenant-{tenant_id}"


def group_channel(group_id: int) -> str:
    return f"group-{group_id}"


def user_channel(user_id: int) -> str:
    return f"user-{user_id}"


def uses_redis() -> bool:
    return bool(getattr(settings, "CHANNEL_LAYER_URL", ""))


def publish(tenant_id: int, groups: list[str], message: dict[str, Any]) -> None:
    """Announce ``message`` to ``groups`` once the current transaction commits.

    Safe to call outside a transaction (it then goes out at once). ``message`` must be
    JSON-serialisable; its ``type`` is set to the consumer's handler.
    """
    groups = sorted(set(groups))
    if not groups:
        return
    message = {**message, "type": MESSAGE_TYPE, "tenant_id": tenant_id}
    if uses_redis():
        transaction.on_commit(lambda: _send_now(groups, message))
    else:
        # save() goes through the base manager: no tenant scope is needed to write.
        LiveNotification(tenant_id=tenant_id, groups=groups, message=message).save()


def _send_now(groups: list[str], message: dict[str, Any]) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _send_blocking(groups, message)
        return
    # This thread runs an event loop (sync code called from async code), where
    # async_to_sync is refused: send from a short-lived helper thread instead.
    helper = threading.Thread(target=_send_blocking, args=(groups, message), daemon=True)
    helper.start()
    helper.join(timeout=5)


def _send_blocking(groups: list[str], message: dict[str, Any]) -> None:
    layer = get_channel_layer()

    async def send_all() -> None:
        for group in groups:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:  # a notification must never break the committed change
        log.exception("live notification to %s failed", groups)


# --- The embedded relay --------------------------------------------------------------


class Relay:
    """Relays ``LiveNotification`` rows into this process's channel layer.

    One per process and event loop: ``ensure_started`` is called by every websocket
    connect and starts the polling task only when none is running on the current loop.
    """

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def ensure_started(self) -> None:
        if uses_redis():
            return
        loop = asyncio.get_running_loop()
        if self.running and self._loop is loop:
            return
        self._loop = loop
        self._task = loop.create_task(self._run(), name="inbox-live-relay")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        layer = get_channel_layer()
        seen: dict[int, float] = {}
        since = await database_sync_to_async(_now)()
        last_prune = 0.0
        while True:
            try:
                rows, since = await database_sync_to_async(_rows_since)(since, set(seen))
                for row_id, groups, message in rows:
                    seen[row_id] = time.monotonic()
                    for group in groups:
                        await layer.group_send(group, message)
                horizon = time.monotonic() - COMMIT_GRACE.total_seconds() * 2
                for row_id in [i for i, at in seen.items() if at < horizon]:
                    del seen[row_id]
                if time.monotonic() - last_prune > PRUNE_EVERY:
                    last_prune = time.monotonic()
                    await database_sync_to_async(prune)()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end live updates for good
                log.exception("live relay poll failed; retrying")
                await asyncio.sleep(1)
            await asyncio.sleep(POLL_INTERVAL)


def _now():
    return timezone.now()


def _rows_since(since, seen: set[int]) -> tuple[list[tuple[int, list, dict]], Any]:
    """Rows written since ``since`` minus the grace window that were not relayed yet."""
    now = timezone.now()
    with all_tenants():  # the relay serves every tenant of this web process
        rows = list(
            LiveNotification.objects.filter(created_at__gte=since - COMMIT_GRACE)
            .exclude(id__in=seen)
            .order_by("id")
            .values_list("id", "groups", "message")
        )
    return rows, now


def prune(*, older_than: timedelta = KEEP_FOR) -> int:
    """Delete notification rows older than ``older_than``; returns how many went."""
    with all_tenants():  # housekeeping across tenants
        deleted, _ = LiveNotification.objects.filter(
            created_at__lt=timezone.now() - older_than
        ).delete()
    return deleted


relay = Relay()
