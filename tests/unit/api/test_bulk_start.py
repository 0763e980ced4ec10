"""POST /api/instances/bulk/: many starts in one request, all or nothing, idempotent per item."""

from __future__ import annotations

import pytest

from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.tenancy.scoping import tenant_scope

from .conftest import APPROVAL

URL = "/api/instances/bulk/"


def bulk(client, items, definition="approval"):
    return client.post(URL, {"definition": definition, "items": items}, format="json")


def counts(tenant) -> tuple[int, int]:
    with tenant_scope(tenant):
        return Instance.objects.count(), HistoryEvent.objects.count()


def test_a_bulk_start_answers_every_item_in_order_with_its_instance(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    items = [{"data": {"n": n}, "business_key": f"po-{n}"} for n in range(5)]
    response = bulk(api_as(tenant_a, "operator"), items)
    assert response.status_code == 201
    body = response.json()
    assert (body["definition"], body["created"], body["found"]) == ("approval", 5, 0)
    assert all(i["created"] for i in body["instances"])
    with tenant_scope(tenant_a):
        stored = Instance.objects.in_bulk([i["id"] for i in body["instances"]])
        assert [stored[i["id"]].data for i in body["instances"]] == [{"n": n} for n in range(5)]
        (starter,) = {s.started_by_id for s in stored.values()}
        assert starter is not None  # who started them, as for a single start
        assert {(i["state"], i["status"]) for i in body["instances"]} == {
            (s.state, s.status) for s in stored.values()
        }


def test_a_retried_bulk_start_starts_nothing_twice(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    items = [{"data": {"n": n}, "idempotency_key": f"order-{n}"} for n in range(3)]
    first = bulk(client, items[:2]).json()
    # The retry carries one more item: only that one is new.
    again = bulk(client, items)
    assert again.status_code == 201
    body = again.json()
    assert (body["created"], body["found"]) == (1, 2)
    assert [i["created"] for i in body["instances"]] == [False, False, True]
    assert [i["id"] for i in body["instances"][:2]] == [i["id"] for i in first["instances"]]
    replay = bulk(client, items)
    assert (replay.status_code, replay.json()["created"]) == (200, 0)
    assert counts(tenant_a)[0] == 3


def test_a_key_reused_with_other_data_is_a_409_and_starts_none(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    bulk(client, [{"data": {"n": 1}, "idempotency_key": "k"}])
    before = counts(tenant_a)
    response = bulk(client, [{"data": {"n": 2}}, {"data": {"n": 9}, "idempotency_key": "k"}])
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_key_reused")
    assert counts(tenant_a) == before


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("not an object", "is a JSON object"),
        ({"data": [1, 2]}, "must be a JSON object"),
        ({"data": {"note": "a\x00b"}}, "NUL"),
        ({"priority": "high"}, "priority is a whole number"),
        ({"priority": 10**30}, "priority is a whole number"),
        ({"priority": True}, "priority is a whole number"),
        ({"business_key": "x" * 201}, "business_key is text of at most 200"),
        ({"idempotency_key": {"k": 1}}, "idempotency_key is text"),
        ({"idempotency_key": "a\x00"}, "idempotency_key is text"),
        ({"colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_a_bad_item_is_a_400_naming_it_and_nothing_starts(tenant_a, api_as, published, item, words):
    published(tenant_a, APPROVAL)
    response = bulk(api_as(tenant_a, "operator"), [{"data": {}}, {"data": {}}, item])
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Item 2: ") and words in body["detail"]
    assert body["details"] == [{"item": 2}]
    assert counts(tenant_a) == (0, 0)


def test_the_request_itself_is_checked(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    assert bulk(client, []).status_code == 400
    assert bulk(client, [{}] * 1001).status_code == 400
    assert client.post(URL, {"definition": "approval"}, format="json").status_code == 400
    assert client.post(URL, {"items": [{}]}, format="json").status_code == 400
    missing = bulk(client, [{}], definition="nothing-here")
    assert missing.status_code == 404
    dupes = bulk(client, [{"idempotency_key": "a"}, {"idempotency_key": "a"}])
    assert (dupes.status_code, dupes.json()["code"]) == (400, "duplicate_idempotency_key")
    assert counts(tenant_a) == (0, 0)


def test_viewers_cannot_bulk_start_and_other_tenants_definitions_are_not_found(
    tenant_a, tenant_b, api_as, published
):
    published(tenant_a, APPROVAL)
    assert bulk(api_as(tenant_a, "viewer"), [{}]).status_code == 403
    assert bulk(api_as(tenant_b, "operator"), [{}]).status_code == 404
    assert counts(tenant_a) == (0, 0)
