"""A cancel is never one click: its own page asks for a reason and a confirmation, the
reason goes into the history with who cancelled, and compensation is offered only when
completed steps have something to undo."""

from __future__ import annotations

import re

from django.urls import reverse

from workflow_platform.engine import services
from workflow_platform.engine.models import HistoryEvent, Instance

from .conftest import linear

RECORD = {"type": "python", "params": {"callable": "engine_tests.record"}}
BOOKED = {
    "key": "booked", "initial": "new",
    "states": [{"name": "new"}, {"name": "held"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "new", "to": "held", "action": "book"},
                    {"from": "held", "to": "done", "on": "confirm"}],
    "actions": {"book": {**RECORD, "compensation": "unbook"}, "unbook": RECORD},
}  # fmt: skip
PARKED = {
    "key": "parked", "initial": "hold",
    "states": [{"name": "hold"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "hold", "to": "done", "on": "go"}],
}  # fmt: skip


def operator(client, tenant, make_member, name="olga"):
    user = make_member(tenant, role="operator", username=name)
    client.force_login(user)
    return user


def status_of(tenant, instance) -> str:
    return Instance.objects.for_tenant(tenant).get(pk=instance.pk).status


def test_the_instance_page_links_to_the_cancel_page_instead_of_cancelling(
    client, tenant_a, make_member, publish, work
):
    operator(client, tenant_a, make_member)
    publish(PARKED)
    instance = services.start_instance(tenant=tenant_a, definition_key="parked", data={})
    work()
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    cancel_url = reverse("operations:cancel", args=[instance.pk])
    assert f'href="{cancel_url}"' in page
    assert f'action="{cancel_url}"' not in page  # no form that cancels from here
    assert not re.search(r"<script>|\son[a-z]+=", page)  # nothing a strict CSP would block

    confirm = client.get(cancel_url)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Cancel instance" in body and 'name="reason"' in body
    assert "Keep the instance" in body
    assert 'name="compensate"' not in body  # nothing to undo here
    assert "there is nothing to undo" in body
    assert status_of(tenant_a, instance) == "waiting"  # looking changes nothing


def test_a_cancel_without_a_reason_is_refused_and_changes_nothing(
    client, tenant_a, make_member, publish, work
):
    operator(client, tenant_a, make_member)
    publish(PARKED)
    instance = services.start_instance(tenant=tenant_a, definition_key="parked", data={})
    work()
    url = reverse("operations:cancel", args=[instance.pk])
    for reason in ("", "   ", "x" * 501, "a\x00b"):
        response = client.post(url, {"reason": reason})
        assert response.status_code == 400, reason
        assert 'role="alert"' in response.content.decode()
    assert status_of(tenant_a, instance) == "waiting"


def test_the_reason_and_who_cancelled_are_in_the_history(
    client, tenant_a, make_member, publish, work
):
    operator(client, tenant_a, make_member, name="olga")
    publish(PARKED)
    instance = services.start_instance(tenant=tenant_a, definition_key="parked", data={})
    work()
    response = client.post(
        reverse("operations:cancel", args=[instance.pk]),
        {"reason": "  duplicate of order A-17  "},
        follow=True,
    )
    assert "Cancelled." in response.content.decode()
    assert status_of(tenant_a, instance) == "cancelled"
    event = HistoryEvent.objects.for_tenant(tenant_a).get(instance=instance, type="cancelled")
    assert event.detail == {"reason": "duplicate of order A-17"}
    assert event.user.username == "olga"
    page = response.content.decode()
    assert "duplicate of order A-17" in page and ">olga</td>" in page
    again = client.get(reverse("operations:cancel", args=[instance.pk]), follow=True)
    assert "already cancelled" in again.content.decode()


def test_compensation_is_offered_with_its_plan_when_a_completed_step_declares_one(
    client, tenant_a, make_member, publish, work
):
    operator(client, tenant_a, make_member)
    publish(BOOKED)
    kept = services.start_instance(tenant=tenant_a, definition_key="booked", data={})
    undone = services.start_instance(tenant=tenant_a, definition_key="booked", data={})
    work()
    body = client.get(reverse("operations:cancel", args=[undone.pk])).content.decode()
    assert 'name="compensate" value="on"' in body
    assert "<code>unbook</code> undoes <code>book</code> (step 1)" in body

    client.post(reverse("operations:cancel", args=[kept.pk]), {"reason": "r", "compensate": ""})
    client.post(
        reverse("operations:cancel", args=[undone.pk]), {"reason": "withdrawn", "compensate": "on"}
    )
    work()
    assert status_of(tenant_a, kept) == "cancelled"
    assert status_of(tenant_a, undone) == "compensated"
    started = HistoryEvent.objects.for_tenant(tenant_a).get(instance=undone, type="compensating")
    assert started.detail["message"] == "withdrawn"


def test_compensate_is_ignored_where_nothing_can_be_undone(
    client, tenant_a, make_member, publish, work
):
    operator(client, tenant_a, make_member)
    publish(linear(2, key="plain"))  # no actions at all
    publish(PARKED)
    instance = services.start_instance(tenant=tenant_a, definition_key="parked", data={})
    work()
    response = client.post(
        reverse("operations:cancel", args=[instance.pk]), {"reason": "r", "compensate": "on"}
    )
    assert response.status_code == 302
    assert status_of(tenant_a, instance) == "cancelled"


def test_a_viewer_gets_no_cancel_page(client, tenant_a, make_member, publish, work):
    client.force_login(make_member(tenant_a, role="viewer"))
    publish(PARKED)
    instance = services.start_instance(tenant=tenant_a, definition_key="parked", data={})
    work()
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    assert "Cancel…" not in page
    response = client.get(reverse("operations:cancel", args=[instance.pk]), follow=True)
    assert "Only operators and admins" in response.content.decode()
    client.post(reverse("operations:cancel", args=[instance.pk]), {"reason": "r"})
    assert status_of(tenant_a, instance) == "waiting"
