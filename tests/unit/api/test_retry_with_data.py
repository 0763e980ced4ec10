"""POST /api/instances/{id}/retry/ with ``data``: the operator corrects the data of a
failed instance and retries its step in one commit, audited; bad data changes nothing."""

from __future__ import annotations

import pytest

from tests.unit.engine import callables  # noqa: F401 - registers engine_tests.broken
from tests.unit.engine.conftest import linear
from workflow_platform.engine import replay, services
from workflow_platform.engine.models import HistoryEvent, Incident, Instance
from workflow_platform.tenancy.scoping import all_tenants

# Fails for good (card_declined) until the data says {"fixed": true}.
BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}


@pytest.fixture
def failed(tenant_a, published, run_worker):
    published(tenant_a, linear(1, action=BROKEN, key="charge"))
    instance = services.start_instance(
        tenant=tenant_a, definition_key="charge", data={"card": "4000", "order": "A-17"}
    )
    run_worker()
    instance.refresh_from_db()
    assert (instance.status, instance.has_incident) == ("failed", True)
    return instance


def snapshot(instance):
    with all_tenants():
        row = Instance.objects.filter(pk=instance.pk).values().get()
        events = list(HistoryEvent.objects.filter(instance=instance).values_list("seq", "type"))
        open_incidents = Incident.objects.filter(instance=instance, resolved_at=None).count()
    return row, events, open_incidents


def test_corrected_data_replaces_the_old_and_the_step_then_succeeds(
    tenant_a, api_as, failed, run_worker
):
    client = api_as(tenant_a, "operator", username="olga")
    response = client.post(
        f"/api/instances/{failed.pk}/retry/",
        {"data": {"card": "4242", "fixed": True}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "running"
    assert body["data"] == {"card": "4242", "fixed": True}  # replaced, not merged

    history = client.get(f"/api/instances/{failed.pk}/history/", {"type": "incident_retried"})
    [event] = history.json()["results"]
    assert event["user"] == "olga"
    assert event["delta"] == {"set": {"card": "4242", "fixed": True}, "unset": ["order"]}
    assert event["detail"] == {
        "data": {"before": {"card": "4000", "order": "A-17"},
                 "after": {"card": "4242", "fixed": True}},
    }  # fmt: skip

    run_worker()
    done = client.get(f"/api/instances/{failed.pk}/").json()
    assert done["status"] == "completed"
    with all_tenants():
        instance = Instance.objects.select_related("version").get(pk=failed.pk)
        events = list(HistoryEvent.objects.filter(instance=instance).order_by("seq"))
    assert replay.differences(instance, events) == []  # history still rebuilds the row


def test_a_retry_without_data_keeps_the_data_and_records_no_change(tenant_a, api_as, failed):
    client = api_as(tenant_a, "operator")
    response = client.post(f"/api/instances/{failed.pk}/retry/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["data"] == {"card": "4000", "order": "A-17"}
    with all_tenants():
        event = HistoryEvent.objects.get(instance=failed, type="incident_retried")
    assert (event.delta, event.detail) == (None, None)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ("not an object", None),  # a field error of the request
        ([1, 2], None),
        (None, None),
        ({"deep": "x"}, "too_deep"),
        ({"big": 2**60}, "number_out_of_range"),
        ({"text": "a\u0000b"}, "nul_character"),
    ],
)
def test_bad_data_is_a_400_and_changes_nothing(tenant_a, api_as, failed, data, code):
    if data == {"deep": "x"}:
        for _ in range(70):
            data = {"deep": data}
    before = snapshot(failed)
    client = api_as(tenant_a, "operator")
    response = client.post(f"/api/instances/{failed.pk}/retry/", {"data": data}, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    if code is None:
        assert "data" in problem["errors"]
    else:
        assert problem["code"] == code
        assert problem["detail"].startswith("The corrected data cannot be stored: data.")
    assert snapshot(failed) == before


def test_corrected_data_for_an_instance_without_an_incident_is_a_409_and_changes_nothing(
    tenant_a, api_as, failed
):
    client = api_as(tenant_a, "operator")
    assert client.post(f"/api/instances/{failed.pk}/retry/").status_code == 200
    before = snapshot(failed)
    response = client.post(
        f"/api/instances/{failed.pk}/retry/", {"data": {"fixed": True}}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "no_open_incident"
    assert snapshot(failed) == before


def test_a_viewer_cannot_correct_data(tenant_a, api_as, failed):
    before = snapshot(failed)
    client = api_as(tenant_a, "viewer")
    response = client.post(
        f"/api/instances/{failed.pk}/retry/", {"data": {"fixed": True}}, format="json"
    )
    assert response.status_code == 403
    assert snapshot(failed) == before


def test_the_service_refuses_data_nested_far_deeper_than_json_can_serialise(tenant_a, failed):
    from workflow_platform.errors import InvalidInput

    data: dict = {}
    for _ in range(100_000):  # a Python caller, not JSON: nothing parsed it first
        data = {"deep": data}
    before = snapshot(failed)
    with pytest.raises(InvalidInput) as refused:
        services.retry_incident(tenant=tenant_a, instance_id=failed.pk, data=data)
    assert refused.value.code == "too_deep"
    assert snapshot(failed) == before
