"""Webhooks: engine events become signed, durable, retried and replayable deliveries."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.utils import timezone

from workflow_platform.definitions.models import Definition, Version
from workflow_platform.engine.models import Instance
from workflow_platform.engine.signals import instance_changed
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.webhooks import delivery as webhook_delivery
from workflow_platform.webhooks.models import DeliveryStatus, WebhookDelivery
from workflow_platform.webhooks.signing import verify

from .webhook_receiver import WebhookReceiver

DOCUMENT = {
    "format": "workflow-island/v1",
    "key": "order",
    "initial": "start",
    "states": [{"name": "start"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "start", "to": "done", "on": "auto"}],
}


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def private_tenant(tenant_a):
    tenant_a.allow_private_network = True  # the receiver listens on loopback
    tenant_a.save()
    return tenant_a


def completed_instance(tenant) -> Instance:
    with tenant_scope(tenant):
        definition = Definition.objects.create(tenant=tenant, key="order", name="Order")
        version = Version.objects.create(
            tenant=tenant, definition=definition, number=1, document=DOCUMENT
        )
        return Instance.objects.create(
            tenant=tenant, version=version, definition=definition, state="done",
            status="completed", business_key="order-7",
        )  # fmt: skip


def subscribe(client, url, events=("instance.completed",)):
    response = client.post("/api/webhooks/", {"url": url, "events": list(events)}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_loopback_url_is_refused_unless_the_tenant_allows_the_private_network(tenant_a, api_as):
    client = api_as(tenant_a)
    response = client.post(
        "/api/webhooks/",
        {"url": "http://127.0.0.1:9/hook", "events": ["instance.completed"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "url_refused"
    metadata = client.post(
        "/api/webhooks/",
        {"url": "http://169.254.169.254/latest", "events": ["instance.failed"]},
        format="json",
    )
    assert metadata.json()["code"] == "url_refused"


def test_a_completed_instance_is_delivered_signed_with_the_subscription_secret(
    private_tenant, api_as, receiver
):
    subscription = subscribe(api_as(private_tenant), receiver.url)
    with transaction.atomic():
        instance = completed_instance(private_tenant)
        instance_changed.send(sender=Instance, instance=instance, change="completed")
    assert webhook_delivery.deliver_due() == 1

    headers, body = receiver.received[0]
    assert verify(secret=subscription["secret"], headers=headers, body=body)
    assert not verify(secret=subscription["secret"], headers=headers, body=body + b" ")
    event = json.loads(body)
    assert event["type"] == "instance.completed"
    assert event["data"]["instance"]["business_key"] == "order-7"
    assert headers["webhook-id"] == event["id"]
    with tenant_scope(private_tenant):
        row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.last_status_code) == ("delivered", 1, 204)


def test_an_event_of_a_rolled_back_change_is_never_delivered(private_tenant, api_as, receiver):
    subscribe(api_as(private_tenant), receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        instance = completed_instance(private_tenant)
        instance_changed.send(sender=Instance, instance=instance, change="completed")
        raise RuntimeError("the engine's transaction fails")
    assert webhook_delivery.deliver_due() == 0
    assert receiver.received == []


def test_events_not_subscribed_to_make_no_delivery(private_tenant, api_as, receiver):
    subscribe(api_as(private_tenant), receiver.url, events=["instance.failed"])
    instance = completed_instance(private_tenant)
    instance_changed.send(sender=Instance, instance=instance, change="completed")
    with tenant_scope(private_tenant):
        assert not WebhookDelivery.objects.exists()


def test_a_failing_receiver_is_retried_with_backoff_then_given_up_and_replayable(
    private_tenant, api_as, receiver
):
    client = api_as(private_tenant)
    subscribe(client, receiver.url)
    receiver.answer_status = 503
    instance = completed_instance(private_tenant)
    instance_changed.send(sender=Instance, instance=instance, change="completed")

    waits = []
    for _ in range(webhook_delivery.MAX_ATTEMPTS):
        with tenant_scope(private_tenant):
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        before = timezone.now()
        webhook_delivery.deliver_due()
        with tenant_scope(private_tenant):
            row = WebhookDelivery.objects.get()
        if row.status == DeliveryStatus.PENDING:
            waits.append((row.next_attempt_at - before).total_seconds())
    assert row.status == "failed"
    assert row.attempts == webhook_delivery.MAX_ATTEMPTS
    assert row.last_status_code == 503
    assert len(receiver.received) == webhook_delivery.MAX_ATTEMPTS
    assert waits[0] < waits[3] < waits[-1] <= 3600 * 1.2

    receiver.answer_status = 200
    replay = client.post(f"/api/webhook-deliveries/{row.pk}/replay/")
    assert replay.status_code == 202
    assert replay.json()["event_id"] == str(row.event_id)
    webhook_delivery.deliver_due()
    assert client.get(f"/api/webhook-deliveries/{replay.json()['id']}/").json()["status"] == (
        "delivered"
    )
    assert receiver.received[-1][0]["webhook-id"] == str(row.event_id)


def test_a_paused_subscription_receives_nothing(private_tenant, api_as, receiver):
    client = api_as(private_tenant)
    subscription = subscribe(client, receiver.url)
    paused = client.patch(f"/api/webhooks/{subscription['id']}/", {"active": False}, format="json")
    assert paused.json()["active"] is False
    assert "secret" not in paused.json()
    instance = completed_instance(private_tenant)
    instance_changed.send(sender=Instance, instance=instance, change="completed")
    webhook_delivery.deliver_due()
    assert receiver.received == []


def test_the_sweep_knows_when_the_next_retry_is_due(private_tenant, api_as, receiver):
    assert webhook_delivery.seconds_until_next_due() is None
    subscribe(api_as(private_tenant), receiver.url)
    receiver.answer_status = 500
    instance = completed_instance(private_tenant)
    instance_changed.send(sender=Instance, instance=instance, change="completed")
    assert webhook_delivery.seconds_until_next_due() == 0
    webhook_delivery.deliver_due()
    wait = webhook_delivery.seconds_until_next_due()
    assert 10 < wait < 20  # the first backoff: 15 s +/- 20 %


def test_an_instance_failing_in_the_engine_records_its_incident_event(
    private_tenant, api_as, receiver, published, run_worker
):
    from .test_repairs import FAILING

    client = api_as(private_tenant)
    subscribe(client, receiver.url, events=["instance.incident", "task.created"])
    published(private_tenant, FAILING)
    client.post("/api/instances/", {"definition": "failing", "data": {}}, format="json")
    run_worker()
    with tenant_scope(private_tenant):
        events = list(WebhookDelivery.objects.values_list("event", flat=True))
    assert events == ["instance.incident"]
    webhook_delivery.deliver_due()
    event = json.loads(receiver.received[0][1])
    assert event["data"]["instance"]["has_incident"] is True
    assert "fails" in event["data"]["instance"]["last_error"]


def test_an_escalated_task_is_an_sla_breach(
    private_tenant, api_as, receiver, published, run_worker
):
    from workflow_platform.worklist.models import HumanTask
    from workflow_platform.worklist.signals import human_task_changed

    from .conftest import APPROVAL

    subscribe(api_as(private_tenant), receiver.url, events=["task.sla_breached"])
    published(private_tenant, APPROVAL)
    api_as(private_tenant).post(
        "/api/instances/", {"definition": "approval", "data": {"item": "x"}}, format="json"
    )
    run_worker()
    with tenant_scope(private_tenant):
        task = HumanTask.objects.get()
        assert not WebhookDelivery.objects.exists()  # task.created is not subscribed
    human_task_changed.send(sender=HumanTask, task=task, change="escalated")
    webhook_delivery.deliver_due()
    event = json.loads(receiver.received[0][1])
    assert (event["type"], event["data"]["task"]["id"]) == ("task.sla_breached", task.pk)


def test_a_subscription_changed_in_another_process_applies_within_the_ttl(
    private_tenant, api_as, receiver, monkeypatch
):
    from workflow_platform.webhooks import services as webhook_services
    from workflow_platform.webhooks.models import WebhookSubscription

    subscribe(api_as(private_tenant), receiver.url)
    clock = [1000.0]
    monkeypatch.setattr(webhook_services.time, "monotonic", lambda: clock[0])
    webhook_services.forget_subscriptions()
    assert len(webhook_services.active_subscriptions(private_tenant.pk)) == 1
    # Paused elsewhere: a queryset update sends no signal, as another process's change.
    with tenant_scope(private_tenant):
        WebhookSubscription.objects.update(active=False)
    assert len(webhook_services.active_subscriptions(private_tenant.pk)) == 1  # cached
    clock[0] += webhook_services.SUBSCRIPTIONS_TTL + 0.1
    assert webhook_services.active_subscriptions(private_tenant.pk) == []


def test_a_subscription_saved_in_this_process_applies_at_once(private_tenant, api_as, receiver):
    from workflow_platform.webhooks import services as webhook_services

    assert webhook_services.active_subscriptions(private_tenant.pk) == []  # now cached
    subscribe(api_as(private_tenant), receiver.url)
    assert len(webhook_services.active_subscriptions(private_tenant.pk)) == 1
