"""Webhooks end to end: an instance a real worker completes is delivered, signed, to the
subscriber by the Celery task webhooks.timers.deliver_webhooks (enqueued after the commit),
and a failed attempt is retried after its backoff without anyone asking."""

from __future__ import annotations

import json
import time

from tests.factories import api_client, make_member, make_tenant
from tests.unit.api.webhook_receiver import WebhookReceiver
from workflow_platform.webhooks.signing import verify

QUICK = {
    "format": "workflow-island/v1",
    "key": "quick",
    "initial": "start",
    "states": [{"name": "start"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "start", "to": "done", "on": "auto"}],
}


def test_a_completed_instance_reaches_the_subscriber_through_the_worker_after_a_retry(
    transactional_db, start_worker
):
    # allow_private_network: the receiver listens on loopback
    tenant = make_tenant("hooks", "Hooks", allow_private_network=True)
    admin = make_member(tenant, "admin", "hook-admin", password="pw-x-1234")
    client = api_client(tenant, admin, token_name="t")
    start_worker()
    with WebhookReceiver() as receiver:
        receiver.first_answers = [503]
        subscription = client.post(
            "/api/webhooks/", {"url": receiver.url, "events": ["instance.completed"]},
            format="json",
        ).json()  # fmt: skip
        version = client.post(
            "/api/definitions/", {"key": "quick", "name": "Quick", "document": QUICK},
            format="json",
        ).json()  # fmt: skip
        client.post(f"/api/versions/{version['id']}/publish/")
        instance = client.post(
            "/api/instances/", {"definition": "quick", "data": {}}, format="json"
        ).json()
        deadline = time.monotonic() + 45
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert receiver.received, (
            "no successful retry within 45 s",
            client.get("/api/webhook-deliveries/").json()["results"],
        )
    headers, body = receiver.received[1]
    assert receiver.received[0][0]["webhook-id"] == headers["webhook-id"]
    assert verify(secret=subscription["secret"], headers=headers, body=body)
    event = json.loads(body)
    assert (event["type"], event["data"]["instance"]["id"]) == (
        "instance.completed",
        instance["id"],
    )
    log = client.get("/api/webhook-deliveries/").json()["results"]
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 2)]
