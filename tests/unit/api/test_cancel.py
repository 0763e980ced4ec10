"""POST /api/instances/{id}/cancel/: plain, or with ``compensate`` (the saga's undo)."""

from __future__ import annotations

import pytest

from tests.factories import reload, start_via_api
from tests.unit.resilience import callables  # registers the python actions used below
from workflow_platform.engine.models import HistoryEvent, Instance

from .conftest import APPROVAL


def py(name, **extra):
    return {"type": "python", "params": {"callable": f"resilience.{name}"}, **extra}


SAGA = {
    "key": "saga",
    "initial": "new",
    "states": [{"name": "new"}, {"name": "reserved"},
               {"name": "charged", "kind": "human", "task": {"title": "Ship it?"}},
               {"name": "shipped", "kind": "final"}],
    "transitions": [
        {"from": "new", "to": "reserved", "action": "reserve"},
        {"from": "reserved", "to": "charged", "action": "charge"},
        {"from": "charged", "to": "shipped", "on": "approve"},
    ],
    "actions": {
        "reserve": py("reserve", compensation="unreserve"),
        "charge": py("charge", compensation="refund"),
        "unreserve": py("unreserve"),
        "refund": py("refund"),
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def clear_calls():
    callables.CALLS.clear()
    callables.FAILURES.clear()


def cancel(client, instance_id, body):
    return client.post(f"/api/instances/{instance_id}/cancel/", body, format="json")


def test_cancel_with_compensate_undoes_the_completed_steps(tenant_a, api_as, published, run_worker):
    published(tenant_a, SAGA)
    client = api_as(tenant_a, "operator")
    instance = start_via_api(client, "saga", expect_status=201).json()
    run_worker()
    assert [name for name, _ in callables.CALLS] == ["reserve", "charge"]

    answer = cancel(client, instance["id"], {"compensate": True, "reason": "Withdrawn."})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "compensating"
    run_worker()
    assert [name for name, _ in callables.CALLS] == ["reserve", "charge", "refund", "unreserve"]
    done = client.get(f"/api/instances/{instance['id']}/").json()
    assert done["status"] == "compensated"
    event = HistoryEvent.objects.for_tenant(tenant_a).get(
        instance_id=instance["id"], type="compensating"
    )
    assert event.detail["message"] == "Withdrawn."
    assert event.user == client.user


def test_cancel_without_compensate_undoes_nothing(tenant_a, api_as, published, run_worker):
    published(tenant_a, SAGA)
    client = api_as(tenant_a, "operator")
    instance = start_via_api(client, "saga", expect_status=201).json()
    run_worker()
    answer = cancel(client, instance["id"], {"compensate": False})
    assert answer.json()["status"] == "cancelled"
    run_worker()
    assert [name for name, _ in callables.CALLS] == ["reserve", "charge"]


def test_compensate_with_nothing_to_undo_simply_cancels(tenant_a, api_as, published):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    instance = start_via_api(client, "approval", {"item": "x"}, expect_status=201).json()
    answer = cancel(client, instance["id"], {"compensate": True})
    assert answer.status_code == 200
    assert answer.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"compensate": "true"}, "compensate"),
        ({"compensate": "false"}, "compensate"),
        ({"compensate": 1}, "compensate"),
        ({"compensate": None}, "compensate"),
        ({"compensate": {"yes": True}}, "compensate"),
        ({"reason": "x" * 501}, "reason"),
        ({"reason": "before\x00after", "compensate": True}, "reason"),
        ({"reason": ["a list"]}, "reason"),
    ],
)
def test_a_bad_compensate_or_reason_is_a_400_and_changes_nothing(
    tenant_a, api_as, published, body, field
):
    published(tenant_a, APPROVAL)
    client = api_as(tenant_a, "operator")
    instance = start_via_api(client, "approval", {"item": "x"}, expect_status=201).json()
    answer = cancel(client, instance["id"], body)
    assert answer.status_code == 400, answer.json()
    problem = answer.json()
    assert problem["code"] == "invalid_input"
    assert list(problem["errors"]) == [field]
    assert answer["Content-Type"] == "application/problem+json"
    stored = reload(tenant_a, Instance.objects.for_tenant(tenant_a).get(pk=instance["id"]))
    assert stored.status == instance["status"] != "cancelled"


def test_another_tenants_instance_is_404_with_compensate_too(tenant_a, tenant_b, api_as, published):
    published(tenant_b, APPROVAL)
    theirs = start_via_api(api_as(tenant_b, "operator"), "approval", {"item": "x"}).json()
    answer = cancel(api_as(tenant_a, "operator"), theirs["id"], {"compensate": True})
    assert answer.status_code == 404
    assert Instance.objects.for_tenant(tenant_b).get(pk=theirs["id"]).status != "cancelled"
