"""The inbox websocket: tells a signed-in operator's browser that tasks changed.

It authenticates by the Django session (``AuthMiddlewareStack`` in asgi.py, which also
checks the Origin), joins only the channels of its user's *current* tenant (the tenant,
the user's operator groups there, the user), and forwards live messages as small JSON
hints. It holds no business logic and never takes a client message as authority: a
request to join anything else is refused. The browser re-reads the inbox from the
database on every hint and on every (re)connect.
"""

from __future__ import annotations

from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import live
from .audience import Audience, audience_of

# Close codes a browser can act on (4000-4999 are for applications).
UNAUTHENTICATED = 4401
NO_TENANT = 4403


class InboxConsumer(AsyncJsonWebsocketConsumer):
    audience: Audience | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.forwarded: deque[tuple] = deque(maxlen=256)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            # Accept first so the browser sees why (a close before accept is a bare 403).
            await self.accept()
            await self.close(code=UNAUTHENTICATED)
            return
        session = self.scope.get("session")
        wanted = session.get("current_tenant_id") if session is not None else None
        self.audience = await database_sync_to_async(audience_of)(user, wanted)
        if self.audience is None:
            await self.accept()
            await self.close(code=NO_TENANT)
            return
        for group in self.audience.channels:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        live.relay.ensure_started()
        await self.send_json({"event": "hello", "tenant_id": self.audience.tenant_id})

    async def disconnect(self, code: int) -> None:
        if self.audience is not None:
            for group in self.audience.channels:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        # Clients may only ping; anything else (e.g. "subscribe to tenant-7") is refused.
        if isinstance(content, dict) and content.get("event") == "ping":
            await self.send_json({"event": "pong"})
            return
        await self.send_json({"event": "refused", "reason": "Clients cannot join channels."})

    async def inbox_event(self, message: dict) -> None:
        if self.audience is None or message.get("tenant_id") != self.audience.tenant_id:
            return  # defence in depth: never forward another tenant's message
        # One change reaches the tenant, group and user channels: forward it once.
        key = (message.get("task_id"), message.get("revision"), message.get("change"))
        if key in self.forwarded:
            return
        self.forwarded.append(key)
        await self.send_json(
            {
                "event": "task-changed",
                "task_id": message.get("task_id"),
                "change": message.get("change", ""),
                "for_me": message.get("assignee_id") == self.audience.user_id,
            }
        )
