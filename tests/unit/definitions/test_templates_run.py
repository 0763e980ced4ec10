"""The seed templates run on the engine with the demo callables, end to end, in-process."""

from __future__ import annotations

import pytest

from tests.factories import run_to_end
from workflow_platform.definitions.templates import install_templates
from workflow_platform.engine import dispatch
from workflow_platform.engine.models import Instance
from workflow_platform.engine.services import start_instance

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(make_tenant, monkeypatch):
    # The test runs the worker itself: record the queue nudges instead of sending them.
    monkeypatch.setattr(dispatch, "send_now", lambda name, queue, count: None)
    tenant = make_tenant()
    install_templates(tenant=tenant)
    return tenant


def _finished(tenant, instance) -> Instance:
    return run_to_end(tenant, instance, rounds=30)


def test_order_processing_runs_to_completed(tenant):
    order = {
        "order_id": "A-1",
        "customer": {"email": "ann@example.com"},
        "items": [{"sku": "tea", "qty": 2, "price": 4.5}],
        "total": 9.0,
    }
    instance = start_instance(tenant=tenant, definition_key="order-processing", data=order)
    done = _finished(tenant, instance)
    assert (done.state, done.status) == ("completed", "completed"), done.data
    assert done.data["payment"]["status"] == "captured"


def test_invalid_order_is_rejected(tenant):
    instance = start_instance(
        tenant=tenant, definition_key="order-processing", data={"order_id": "A-2", "items": []}
    )
    done = _finished(tenant, instance)
    assert done.state == "rejected"


def test_trip_booking_compensates_when_the_hotel_fails(tenant):
    trip = {
        "traveller": {"name": "Ann", "email": "ann@example.com"},
        "destination": "Lisbon",
        "dates": {"from": "2026-12-01", "to": "2026-12-05"},
        "fail_at": "hotel",
    }
    instance = start_instance(tenant=tenant, definition_key="trip-booking", data=trip)
    done = _finished(tenant, instance)
    assert done.status == "compensated", (done.state, done.status, done.data)
