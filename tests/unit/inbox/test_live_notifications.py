"""Live notifications: announced only for committed changes, on both transports."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tasks_inbox import live
from tasks_inbox.models import LiveNotification
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.worklist import services

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def _rows():
    with all_tenants():
        return list(LiveNotification.objects.values_list("groups", "message"))


@override_settings(CHANNEL_LAYER_URL="", CHANNEL_LAYERS=IN_MEMORY)
def test_embedded_claim_writes_one_row_for_tenant_group_and_assignee(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    before = len(_rows())  # the task's own "created" is the engine's, not sent here
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
    groups, message = _rows()[before]
    assert groups == sorted([f"tenant-{tenant_a.pk}", f"group-{group.pk}", f"user-{otto.pk}"])
    assert message["change"] == "claimed" and message["task_id"] == task.pk


@override_settings(CHANNEL_LAYER_URL="", CHANNEL_LAYERS=IN_MEMORY)
def test_a_rolled_back_change_leaves_no_notification(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    before = len(_rows())
    with pytest.raises(RuntimeError), transaction.atomic():
        services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
        raise RuntimeError("the change fails after the claim")
    assert len(_rows()) == before


@override_settings(CHANNEL_LAYER_URL="redis://layer", CHANNEL_LAYERS=IN_MEMORY)
def test_with_a_channel_layer_the_message_goes_out_after_commit(
    tenant_a, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = asyncio.run(_listen(layer, "tenant-1"))
    with django_capture_on_commit_callbacks() as callbacks:
        live.publish(1, ["tenant-1"], {"task_id": 9, "change": "claimed"})
        assert _rows() == []  # no row in this mode
    assert len(callbacks) == 1
    callbacks[0]()
    received = asyncio.run(layer.receive(channel))
    assert received["task_id"] == 9 and received["type"] == live.MESSAGE_TYPE


async def _listen(layer, group):
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


@pytest.mark.django_db(transaction=True)
@override_settings(CHANNEL_LAYER_URL="", CHANNEL_LAYERS=IN_MEMORY)
async def test_relay_forwards_new_rows_into_the_in_process_layer(tenant_a):
    layer = get_channel_layer()
    channel = await _listen(layer, f"tenant-{tenant_a.pk}")
    live.relay.ensure_started()
    try:
        await asyncio.sleep(0.3)
        await sync_to_async(live.publish)(
            tenant_a.pk, [f"tenant-{tenant_a.pk}"], {"task_id": 5, "change": "created"}
        )
        received = await asyncio.wait_for(layer.receive(channel), timeout=2)
        assert received["task_id"] == 5
    finally:
        await live.relay.stop()


@override_settings(CHANNEL_LAYER_URL="", CHANNEL_LAYERS=IN_MEMORY)
def test_old_rows_are_pruned(tenant_a):
    live.publish(tenant_a.pk, ["tenant-1"], {"task_id": 1})
    with all_tenants():
        LiveNotification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    live.publish(tenant_a.pk, ["tenant-1"], {"task_id": 2})
    assert live.prune() == 1
    assert [m["task_id"] for _, m in _rows()] == [2]


@override_settings(WORKFLOW_INBOX_EMAILS=True, CHANNEL_LAYER_URL="", CHANNEL_LAYERS=IN_MEMORY)
def test_assignment_mails_the_new_assignee_after_commit(
    tenant_a, ops, make_task, make_member, django_capture_on_commit_callbacks
):
    group, _, olga = ops
    olga.email = "olga@example.com"
    olga.save()
    ada = make_member(tenant_a, role="admin", username="ada")
    task = make_task(tenant_a, group=group, title="Approve hotel")
    with django_capture_on_commit_callbacks(execute=True):
        services.reassign_task(tenant=tenant_a, task_id=task.pk, user=ada, to_username="olga")
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]
    assert mail.outbox[0].subject == "Assigned to you: Approve hotel"


@pytest.mark.parametrize(
    ("site", "link"),
    [
        (None, "http://localhost:8000/inbox/tasks/{}/"),
        ("https://workflows.example.com/", "https://workflows.example.com/inbox/tasks/{}/"),
    ],
)
def test_the_mail_links_to_the_task_on_the_configured_site(
    settings, monkeypatch, site, link, tenant_a, ops, make_task, make_member,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    settings.WORKFLOW_INBOX_EMAILS = True
    settings.CHANNEL_LAYER_URL = ""
    settings.CHANNEL_LAYERS = IN_MEMORY
    settings.WORKFLOW_SITE_URL = site or ""
    monkeypatch.delenv("WORKFLOW_SITE_URL", raising=False)
    group, _, olga = ops
    olga.email = "olga@example.com"
    olga.save()
    ada = make_member(tenant_a, role="admin", username="ada")
    task = make_task(tenant_a, group=group, title="Approve hotel")
    with django_capture_on_commit_callbacks(execute=True):
        services.reassign_task(tenant=tenant_a, task_id=task.pk, user=ada, to_username="olga")
    assert f"Open it in the inbox: {link.format(task.pk)}\n" in mail.outbox[0].body
