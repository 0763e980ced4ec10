"""Loading the demo gives a first-time user something to look at, and is idempotent."""

from __future__ import annotations

import pytest

from tests.factories import run_until_idle
from workflow_platform.engine import dispatch
from workflow_platform.engine.models import Instance
from workflow_platform.runtime.demo import DEMO_STARTS, load_demo
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.worklist.models import HumanTask

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    # The test runs the worker itself: record nothing, send nothing.
    monkeypatch.setattr(dispatch, "send_now", lambda name, queue, count: None)


def by_key(business_key: str, tenant_slug: str = "acme") -> Instance:
    with all_tenants():
        return Instance.objects.get(business_key=business_key, tenant__slug=tenant_slug)


def test_loading_the_demo_twice_starts_each_demo_instance_once():
    load_demo()
    load_demo()
    with all_tenants():
        assert Instance.objects.filter(parent__isnull=True).count() == len(DEMO_STARTS)


def test_the_demo_instances_run_into_the_inbox_and_to_their_ends():
    load_demo()
    run_until_idle(rounds=40)
    assert by_key("order-1").status == "completed"
    assert by_key("trip-1").status == "completed"
    assert by_key("trip-2").status == "compensated"
    backordered = by_key("order-2")
    assert (backordered.status, backordered.state) == ("waiting", "needs_attention")
    with all_tenants():
        task = HumanTask.objects.get(instance=backordered, status="open")
        assert task.assignee.username in {"ada", "otto", "olga"}  # the ops group
        globex_task = HumanTask.objects.get(instance=by_key("ticket-1", "globex"))
        assert globex_task.assignee.username == "gus"
