"""A change made by another process reaches the socket: through Redis, and through the
embedded relay of notification rows (docs/adr/0001-embedded-transports.md)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async

from tests.services import ROOT, database_url

pytestmark = pytest.mark.django_db(transaction=True)


async def claim_elsewhere(task, username: str, *, embedded: bool) -> None:
    env = dict(os.environ, DATABASE_URL=await sync_to_async(database_url)())
    if embedded:  # the other process has no channel layer server: it writes a row
        env.pop("REDIS_URL", None)
        env.pop("CHANNEL_LAYER_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.inbox.other_process",
        "claim", "tenant-a", str(task.pk), username,
        cwd=ROOT, env=env, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


async def next_task_event(socket, timeout: float = 3.0) -> dict:
    while True:
        message = await socket.receive_json_from(timeout=timeout)
        if message["event"] == "task-changed":
            return message


async def test_claim_in_another_process_reaches_the_socket_through_redis(
    open_socket,
    tenant_a,
    ops,
    make_task,
):
    group, otto, _ = ops
    task = await sync_to_async(make_task)(tenant_a, group=group)
    socket, connected, _ = await open_socket(otto)
    assert connected
    await claim_elsewhere(task, "olga", embedded=False)
    event = await next_task_event(socket)
    assert (event["task_id"], event["change"]) == (task.pk, "claimed")
    await socket.disconnect()


async def test_claim_in_another_process_reaches_the_socket_through_the_embedded_relay(
    embedded_layer,
    open_socket,
    tenant_a,
    ops,
    make_task,
):
    group, otto, _ = ops
    task = await sync_to_async(make_task)(tenant_a, group=group)
    socket, connected, _ = await open_socket(otto)
    assert connected
    await socket.receive_json_from(timeout=3)  # hello: the relay runs from here on
    await claim_elsewhere(task, "olga", embedded=True)
    event = await next_task_event(socket)
    assert (event["task_id"], event["change"]) == (task.pk, "claimed")
    await socket.disconnect()
