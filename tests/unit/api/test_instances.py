"""Instances through the API: idempotent starts, filters, history, events, cancel."""

from __future__ import annotations

from functools import partial

from tests.factories import start_via_api

from .conftest import APPROVAL

SIGNAL = {
    "key": "signal",
    "initial": "waiting",
    "states": [{"name": "waiting", "kind": "wait"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "waiting", "to": "done", "on": "paid"}],
}


# start(client, key="approval", data={"item": "laptop"}, **headers) -> the response
start = partial(start_via_api, key="approval", data={"item": "laptop"})


def test_starting_an_instance_returns_it_with_its_state(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    response = start(api_as(tenant_a, "operator"))
    assert response.status_code == 201
    body = response.json()
    assert (body["definition"], body["version_number"], body["data"]) == (
        "approval", 1, {"item": "laptop"},
    )  # fmt: skip
    assert response["Location"] == f"/api/instances/{body['id']}/"


def test_the_same_idempotency_key_starts_one_instance(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    first = start(client, HTTP_IDEMPOTENCY_KEY="order-1")
    again = start(client, HTTP_IDEMPOTENCY_KEY="order-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    other = start(client, data={"item": "phone"}, HTTP_IDEMPOTENCY_KEY="order-1")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


def test_starting_an_unpublished_definition_is_404(tenant_a, api_as):
    response = start(api_as(tenant_a, "operator"), key="nothing-here")
    assert response.status_code == 404


def test_viewers_cannot_start_instances(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    assert start(api_as(tenant_a, "viewer")).status_code == 403


def test_list_filters_by_definition_status_state_business_key_and_time(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    published(tenant_a, SIGNAL)
    client = api_as(tenant_a, "operator")
    client.post(
        "/api/instances/",
        {"definition": "approval", "data": {}, "business_key": "po-17"},
        format="json",
    )
    start(client, key="signal")

    def ids(**params):
        return [i["definition"] for i in client.get("/api/instances/", params).json()["results"]]

    assert sorted(ids()) == ["approval", "signal"]
    assert ids(definition="signal") == ["signal"]
    assert ids(business_key="po-") == ["approval"]
    assert ids(state="waiting") == ["signal"]
    assert ids(created_after="2000-01-01T00:00:00Z", created_before="2000-01-02T00:00:00Z") == []
    assert client.get("/api/instances/", {"status": "exploded"}).status_code == 400


def test_list_is_cursor_paginated(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    started = {start(client).json()["id"] for _ in range(3)}
    page = client.get("/api/instances/", {"limit": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert {i["id"] for i in page["results"] + rest["results"]} == started
    assert rest["next"] is None


def test_an_event_moves_a_waiting_instance_and_history_records_it(
    tenant_a, api_as, published, run_worker
):
    published(tenant_a, SIGNAL)
    client = api_as(tenant_a, "operator")
    instance = start(client, key="signal").json()
    run_worker()
    sent = client.post(f"/api/instances/{instance['id']}/events/", {"event": "paid"}, format="json")
    assert sent.status_code == 200, sent.json()
    run_worker()
    done = client.get(f"/api/instances/{instance['id']}/").json()
    assert (done["state"], done["status"]) == ("done", "completed")
    history = client.get(f"/api/instances/{instance['id']}/history/").json()["results"]
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    assert history[0]["type"] == "started"
    assert history[-1]["to_state"] == "done"


def test_an_event_sent_while_a_transition_is_pending_is_queued_202_and_listed(
    tenant_a, api_as, published, run_worker
):
    published(tenant_a, SIGNAL)
    client = api_as(tenant_a, "operator")
    instance = start(client, key="signal").json()
    url = f"/api/instances/{instance['id']}/events/"
    assert client.post(url, {"event": "paid"}, format="json").status_code == 200  # taken now
    # The transition it started is pending: the next one waits in the mailbox.
    sent = client.post(url, {"event": "paid"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-2")
    assert sent.status_code == 202, sent.json()
    assert (sent.json()["status"], sent.json()["event"]) == ("queued", "paid")
    again = client.post(url, {"event": "paid"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-2")
    assert again.status_code == 202 and again.json()["id"] == sent.json()["id"]
    run_worker()
    assert client.get(f"/api/instances/{instance['id']}/").json()["status"] == "completed"
    listed = client.get(url).json()["results"]
    assert [(e["event"], e["status"], e["reason"]) for e in listed] == [
        ("paid", "delivered", ""),
        ("paid", "refused", "the instance ended completed first"),
    ]
    assert api_as(tenant_a, "viewer").get(url).status_code == 200  # reading is open


def test_an_event_the_state_does_not_take_is_a_conflict(tenant_a, api_as, published, run_worker):
    published(tenant_a, SIGNAL)
    client = api_as(tenant_a, "operator")
    instance = start(client, key="signal").json()
    run_worker()
    response = client.post(
        f"/api/instances/{instance['id']}/events/", {"event": "refunded"}, format="json"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "event_not_accepted"


def test_cancel_ends_the_instance_and_cancelling_again_is_a_conflict(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    instance = start(client).json()
    cancelled = client.post(
        f"/api/instances/{instance['id']}/cancel/", {"reason": "duplicate"}, format="json"
    )
    assert cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/instances/{instance['id']}/cancel/", {}, format="json")
    assert again.status_code == 409


def test_retry_without_an_incident_is_a_conflict(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    instance = start(client).json()
    response = client.post(f"/api/instances/{instance['id']}/retry/")
    assert response.status_code == 409
    assert response.json()["code"] == "no_open_incident"


def test_a_bad_page_size_is_a_400_not_silently_the_default(tenant_a, api_as):
    client = api_as(tenant_a, "viewer")
    for limit in ("abc", "0", "201", "null"):
        response = client.get("/api/instances/", {"limit": limit})
        assert response.status_code == 400, limit
        assert "limit" in response.json()["errors"]
    assert client.get("/api/instances/", {"limit": "200"}).status_code == 200


def test_the_loser_of_a_race_for_one_idempotency_key_answers_200(
    tenant_a, api_as, published, monkeypatch
):
    import contextvars

    from workflow_platform.engine import services, starting

    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    real_existing = starting._existing
    rival = []

    def a_rival_starts_between_our_check_and_our_insert(tenant, key, hash_):
        if not rival:
            rival.append(None)
            # Another request (its own context) starts the same request with the same key.
            rival[0] = contextvars.Context().run(
                services.start_instance, tenant=tenant, definition_key="approval",
                data={"item": "laptop"}, idempotency_key=key,
            )  # fmt: skip
            return None
        return real_existing(tenant, key, hash_)

    monkeypatch.setattr(starting, "_existing", a_rival_starts_between_our_check_and_our_insert)
    lost = start(client, HTTP_IDEMPOTENCY_KEY="order-9")
    assert lost.status_code == 200, lost.json()
    assert lost.json()["id"] == rival[0].pk


def test_a_start_without_a_key_is_always_created(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    assert [start(client).status_code for _ in range(2)] == [201, 201]
