"""The inbox websocket: tells a signed-in operator's browser that tasks changed.

It authenticates by the Django session (``AuthMiddlewareStack`` in asgi.py, which also
checks the Origin), joins only the channels of its user's *current* tenant (the tenant,
the user's operator groups there, the user), and forwards live messages as small JSON
hints. It holds no business logic and never takes a client message as authority: a
request to join anything else is refused. The browser re-reads the inbox from the
database on every hint and on every (re)connect. When a member's access changes
(membership removed, operator groups changed, account deactivated) their open sockets
read it again: a socket whose user is no longer an active member of its tenant closes
with ``NO_TENANT``, and the browser does not retry.

What a client sends is bounded before it is parsed: a binary frame or a text over
``MAX_MESSAGE_BYTES`` is answered with an ``error`` frame and the matching close code
(1003, 1009); text that is not JSON, holds a NUL character or nests deeper than
``MAX_DEPTH`` gets an ``error`` frame and the socket stays open. Never an exception.
"""

from __future__ import annotations

import json
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import live
from .audience import Audience, audience_of, current_audience

# Close codes a browser can act on (4000-4999 are for applications).
UNAUTHENTICATED = 4401
NO_TENANT = 4403
# RFC 6455 close codes for what a client sent.
UNSUPPORTED_DATA = 1003
MESSAGE_TOO_BIG = 1009

# A client only ever sends {"event": "ping"}: these bounds are generous.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_DEPTH = 8


class BadMessage(ValueError):
    def __init__(self, code: str, detail: str, close_code: int | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.close_code = code, detail, close_code


def read_message(text_data: str | None, bytes_data: bytes | None):
    """The JSON value of one client message, or :class:`BadMessage` saying what is wrong."""
    if text_data is None:
        raise BadMessage(
            "binary_not_accepted", "Send JSON text frames, not binary.", UNSUPPORTED_DATA
        )
    if len(text_data) > MAX_MESSAGE_BYTES or len(text_data.encode()) > MAX_MESSAGE_BYTES:
        raise BadMessage(
            "message_too_big",
            f"A message may be at most {MAX_MESSAGE_BYTES} bytes.",
            MESSAGE_TOO_BIG,
        )
    if "\x00" in text_data:
        raise BadMessage("nul_character", "A message may not contain a NUL character.")
    try:
        content = json.loads(text_data)
    except RecursionError:
        raise BadMessage("too_deep", f"A message may nest at most {MAX_DEPTH} deep.") from None
    except ValueError:  # not JSON, or a number too long to read
        raise BadMessage("not_json", "A message must be one JSON value.") from None
    if depth_exceeds(content, MAX_DEPTH):
        raise BadMessage("too_deep", f"A message may nest at most {MAX_DEPTH} deep.")
    return content


def depth_exceeds(value, limit: int) -> bool:
    """Whether lists and objects nest deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


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

    async def check_access_again(self) -> None:
        """A removed or deactivated member's open socket closes; a changed one re-joins."""
        old = self.audience
        assert old is not None
        fresh = await database_sync_to_async(current_audience)(old.user_id, old.tenant_id)
        if fresh is None:
            await self.disconnect(NO_TENANT)
            self.audience = None
            await self.close(code=NO_TENANT)
            return
        for group in set(old.channels) - set(fresh.channels):
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in set(fresh.channels) - set(old.channels):
            await self.channel_layer.group_add(group, self.channel_name)
        self.audience = fresh

    async def disconnect(self, code: int) -> None:
        if self.audience is not None:
            for group in self.audience.channels:
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            content = read_message(text_data, bytes_data)
        except BadMessage as bad:
            await self.send_json({"event": "error", "code": bad.code, "detail": bad.detail})
            if bad.close_code is not None:
                await self.close(code=bad.close_code)
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs) -> None:
        # Clients may only ping; anything else (e.g. "subscribe to tenant-7") is refused.
        if isinstance(content, dict) and content.get("event") == "ping":
            await self.send_json({"event": "pong"})
            return
        await self.send_json({"event": "refused", "reason": "Clients cannot join channels."})

    async def inbox_event(self, message: dict) -> None:
        if self.audience is None or message.get("tenant_id") != self.audience.tenant_id:
            return  # defence in depth: never forward another tenant's message
        if message.get("change") == live.ACCESS_CHANGED:
            await self.check_access_again()
            return
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
