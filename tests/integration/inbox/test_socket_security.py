"""The inbox websocket lets in only signed-in members, from our origin, to their channels."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from tasks_inbox import live
from tasks_inbox.consumers import NO_TENANT, UNAUTHENTICATED
from workflow_platform.tenancy.services import add_to_group

pytestmark = pytest.mark.django_db(transaction=True)


async def test_unauthenticated_socket_is_closed_with_4401(open_socket):
    socket, _connected, _ = await open_socket(None)
    closing = await socket.receive_output(timeout=3)
    assert closing == {"type": "websocket.close", "code": UNAUTHENTICATED}


async def test_foreign_origin_is_refused(open_socket, tenant_a, make_member):
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    _socket, connected, _ = await open_socket(otto, origin=b"https://evil.example")
    assert connected is False


async def test_socket_without_origin_is_refused(open_socket, tenant_a, make_member):
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    _socket, connected, _ = await open_socket(otto, origin=None)
    assert connected is False


async def test_member_socket_is_greeted_with_its_tenant(open_socket, tenant_a, make_member):
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    socket, connected, _ = await open_socket(otto)
    assert connected
    assert await socket.receive_json_from(timeout=3) == {
        "event": "hello",
        "tenant_id": tenant_a.pk,
    }
    await socket.disconnect()


async def test_socket_cannot_subscribe_to_another_tenants_channels(
    open_socket, tenant_a, tenant_b, make_member
):
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    gus = await sync_to_async(make_member)(tenant_b, username="gus")
    group_b = await sync_to_async(add_to_group)(tenant=tenant_b, group_name="support", user=gus)
    socket, connected, _ = await open_socket(otto)
    assert connected
    await socket.receive_json_from(timeout=3)  # hello

    for request in (
        {"event": "subscribe", "channel": live.tenant_channel(tenant_b.pk)},
        {"event": "subscribe", "tenant_id": tenant_b.pk, "group_id": group_b.pk},
    ):
        await socket.send_json_to(request)
        assert (await socket.receive_json_from(timeout=3))["event"] == "refused"

    layer = get_channel_layer()
    b_message = {"type": live.MESSAGE_TYPE, "tenant_id": tenant_b.pk, "task_id": 1}
    await layer.group_send(live.tenant_channel(tenant_b.pk), b_message)
    await layer.group_send(live.group_channel(group_b.pk), b_message)
    await layer.group_send(live.user_channel(gus.pk), b_message)
    assert await socket.receive_nothing(timeout=0.5)

    # A message of tenant B sent to tenant A's channel is dropped too (defence in depth).
    await layer.group_send(live.tenant_channel(tenant_a.pk), b_message)
    assert await socket.receive_nothing(timeout=0.5)

    a_message = {"type": live.MESSAGE_TYPE, "tenant_id": tenant_a.pk, "task_id": 2}
    await layer.group_send(live.tenant_channel(tenant_a.pk), a_message)
    received = await socket.receive_json_from(timeout=3)
    assert received["event"] == "task-changed" and received["task_id"] == 2
    await socket.disconnect()


async def test_socket_of_a_user_in_two_tenants_listens_to_the_session_tenant_only(
    open_socket, tenant_a, tenant_b, make_member
):
    from workflow_platform.tenancy.services import add_member

    olga = await sync_to_async(make_member)(tenant_a, username="olga")
    await sync_to_async(add_member)(tenant=tenant_b, user=olga, role="operator")
    socket, _connected, _ = await open_socket(olga, tenant=tenant_b)
    assert (await socket.receive_json_from(timeout=3))["tenant_id"] == tenant_b.pk
    layer = get_channel_layer()
    await layer.group_send(
        live.tenant_channel(tenant_a.pk),
        {"type": live.MESSAGE_TYPE, "tenant_id": tenant_a.pk, "task_id": 3},
    )
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_an_idle_socket_keeps_listening_past_the_redis_read_timeout(
    open_socket, tenant_a, make_member
):
    # channels_redis blocks 5 s per read; redis-py 8 times reads out after 5 s by default,
    # which used to kill an idle consumer (settings.py sets a longer socket timeout).
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    socket, connected, _ = await open_socket(otto)
    assert connected
    await socket.receive_json_from(timeout=3)  # hello
    await asyncio.sleep(7)  # one full 5 s blocking read, and then some
    await get_channel_layer().group_send(
        live.tenant_channel(tenant_a.pk),
        {"type": live.MESSAGE_TYPE, "tenant_id": tenant_a.pk, "task_id": 4, "revision": 1},
    )
    assert (await socket.receive_json_from(timeout=3))["task_id"] == 4
    await socket.disconnect()


def _remove_membership(tenant, user):
    from workflow_platform.tenancy.models import Membership

    Membership.objects.for_tenant(tenant).filter(user=user).delete()


def _deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


async def _closing_code(socket) -> int:
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output["code"]


@pytest.mark.parametrize(
    ("revoke", "reconnect_code"),
    [(_remove_membership, NO_TENANT), (lambda _tenant, user: _deactivate(user), UNAUTHENTICATED)],
    ids=["membership-removed", "account-deactivated"],
)
async def test_a_revoked_members_open_socket_closes_and_cannot_reconnect(
    open_socket, tenant_a, make_member, revoke, reconnect_code
):
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    socket, connected, _ = await open_socket(otto)
    assert connected
    await socket.receive_json_from(timeout=3)  # hello
    await sync_to_async(revoke)(tenant_a, otto)
    assert await _closing_code(socket) == NO_TENANT  # the open socket heard of it
    # Nothing of the tenant reaches it any more, and the same session cannot come back.
    again, _connected, _ = await open_socket(otto)
    assert await _closing_code(again) == reconnect_code


async def test_a_socket_joins_a_group_its_user_was_added_to_while_it_was_open(
    open_socket, tenant_a, make_member
):
    otto = await sync_to_async(make_member)(tenant_a, username="otto")
    socket, connected, _ = await open_socket(otto)
    assert connected
    await socket.receive_json_from(timeout=3)  # hello
    group = await sync_to_async(add_to_group)(tenant=tenant_a, group_name="night", user=otto)
    message = {"type": live.MESSAGE_TYPE, "tenant_id": tenant_a.pk, "task_id": 9, "revision": 1}
    for _ in range(50):  # the access check runs when the consumer reads its hint
        await get_channel_layer().group_send(live.group_channel(group.pk), message)
        if not await socket.receive_nothing(timeout=0.1):
            break
    received = await socket.receive_json_from(timeout=3)
    assert received["event"] == "task-changed" and received["task_id"] == 9
    await socket.disconnect()
