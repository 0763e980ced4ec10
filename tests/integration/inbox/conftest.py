"""Websocket fixtures: real ASGI application, real sessions, Redis or the embedded relay."""

from __future__ import annotations

import contextlib

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings

from tasks_inbox import live
from tests.unit.inbox.conftest import make_task, ops  # noqa: F401 - shared fixtures
from workflow_platform.asgi import application

ORIGIN = b"http://localhost"


def session_cookie(user, tenant=None) -> str:
    client = Client()
    client.force_login(user)
    if tenant is not None:
        session = client.session
        session["current_tenant_id"] = tenant.pk
        session.save()
    return client.cookies["sessionid"].value


@pytest.fixture
async def open_socket():
    """Connect a websocket as ``user`` (or anonymously) with ``origin``; closed after."""
    opened: list[WebsocketCommunicator] = []

    async def connect(user=None, *, tenant=None, origin: bytes | None = ORIGIN):
        headers = []
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            sid = await database_sync_to_async(session_cookie)(user, tenant)
            headers.append((b"cookie", f"sessionid={sid}".encode()))
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        opened.append(communicator)
        connected, detail = await communicator.connect(timeout=5)
        return communicator, connected, detail

    yield connect
    # A refused or closed socket's consumer still listens on the channel layer until the
    # client disconnects; left running, it keeps the test's event loop from closing.
    for communicator in opened:
        with contextlib.suppress(Exception):
            await communicator.disconnect(timeout=2)


@pytest.fixture
async def stop_relay():
    yield
    await live.relay.stop()


@pytest.fixture
def embedded_layer(stop_relay):
    """The embedded transport on the real database: rows relayed into an in-process layer."""
    with override_settings(
        CHANNEL_LAYER_URL="",
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    ):
        yield


@pytest.fixture(autouse=True, scope="module")
def no_persistent_connections():
    """Consumers query from asgiref's worker threads; persistent connections there would
    outlive the test database. Closed after each call instead, for these modules only."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    kept = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = kept
