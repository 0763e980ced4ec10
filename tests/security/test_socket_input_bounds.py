"""What a client sends on the inbox websocket is bounded before it is parsed: huge,
binary, non-JSON, NUL-carrying or deeply nested messages get an ``error`` frame (and
the RFC 6455 close code where the socket cannot go on), never a server exception; the
socket still answers a ping after every recoverable refusal.

Channels' communicator on the real ASGI application (no browser): the fixtures are the
inbox's websocket fixtures (tests/integration/inbox/conftest.py).
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from tasks_inbox.consumers import MAX_DEPTH, MAX_MESSAGE_BYTES, MESSAGE_TOO_BIG, UNSUPPORTED_DATA
from tests.integration.inbox.conftest import (  # noqa: F401 - fixtures
    make_task,
    no_persistent_connections,
    open_socket,
    ops,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def socket(open_socket, tenant_a, make_member):  # noqa: F811
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    communicator, connected, _ = await open_socket(otto)
    assert connected
    assert (await communicator.receive_json_from(timeout=3))["event"] == "hello"
    return communicator


async def still_answers(socket) -> None:
    await socket.send_json_to({"event": "ping"})
    assert await socket.receive_json_from(timeout=3) == {"event": "pong"}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json at all", "not_json"),
        ('{"event": "ping"', "not_json"),
        ("", "not_json"),
        ('{"event": "ping\\u0000"}', None),  # an escaped NUL is text: parsed, then refused
        ('{"event": "ping"}\x00', "nul_character"),
        ('{"event": "\x00ping"}', "nul_character"),
        ("9" * 5000, "not_json"),  # past Python's int digit limit
        (nested(MAX_DEPTH + 1), "too_deep"),
        (nested(30_000), "too_deep"),  # past the parser's recursion limit
        (json.dumps({"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}), "too_deep"),
    ],
)
async def test_a_bad_message_gets_an_error_frame_and_the_socket_goes_on(socket, text, code):
    await socket.send_input({"type": "websocket.receive", "text": text})  # "" included
    answer = await socket.receive_json_from(timeout=3)
    if code is None:  # valid JSON of no known event: the consumer's ordinary refusal
        assert answer["event"] == "refused"
    else:
        assert answer["event"] == "error" and answer["code"] == code, answer
        assert answer["detail"]
    await still_answers(socket)


async def test_a_message_at_the_depth_limit_is_read(socket):
    await socket.send_to(text_data=nested(MAX_DEPTH))
    assert (await socket.receive_json_from(timeout=3))["event"] == "refused"


async def test_a_huge_message_closes_with_1009(socket):
    # Multi-byte characters: under the limit in characters, over it in bytes.
    await socket.send_to(text_data='"' + "é" * (MAX_MESSAGE_BYTES // 2 + 1) + '"')
    answer = await socket.receive_json_from(timeout=3)
    assert answer["code"] == "message_too_big"
    closing = await socket.receive_output(timeout=3)
    assert closing["type"] == "websocket.close" and closing["code"] == MESSAGE_TOO_BIG


async def test_a_binary_frame_is_refused_and_closed_with_1003(socket):
    await socket.send_to(bytes_data=b'{"event": "ping"}')
    answer = await socket.receive_json_from(timeout=3)
    assert answer["event"] == "error" and answer["code"] == "binary_not_accepted"
    closing = await socket.receive_output(timeout=3)
    assert closing["type"] == "websocket.close" and closing["code"] == UNSUPPORTED_DATA
