"""The engine's records in the admin are view-only: nobody adds, edits or deletes an
instance, its history, timers, incidents, human tasks, their audit trail or the limits'
state by hand, superusers neither; tenant admins still see their own tenant's."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.integration.inbox.workflows import escalating
from tests.unit.engine import callables  # noqa: F401 - registers the engine_tests.* callables
from tests.unit.engine.conftest import linear, nudges, publish, work  # noqa: F401
from workflow_platform.engine import limits, services
from workflow_platform.engine.limits import DependencyLimits
from workflow_platform.engine.limits.models import DependencyState
from workflow_platform.engine.models import HistoryEvent, Incident, Instance, Timer
from workflow_platform.runtime.demo import _tenant_admins_group
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask, TaskActivity
from workflow_platform.worklist.services import claim_task

BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}


@pytest.fixture
def ada(tenant_a, make_member):
    """A tenant admin with every permission Django's admin knows for these apps."""
    user = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    user.groups.add(_tenant_admins_group())
    return user


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root-admin", password="pw-for-tests")


@pytest.fixture
def records(tenant_a, ada, publish, work, settings):  # noqa: F811
    """One of each engine record in tenant A."""
    settings.WORKFLOW_LIMITS_BACKEND = "database"
    publish(linear(1, action=BROKEN, key="broken"))
    failed = services.start_instance(tenant=tenant_a, definition_key="broken", data={"x": 1})
    work()
    publish(escalating(due="2h"))  # its task's escalation is a timer
    add_to_group(tenant=tenant_a, group_name="ops", user=ada)
    waiting = services.start_instance(
        tenant=tenant_a, definition_key="expense-escalating", data={"purpose": "train"}
    )
    dependency = DependencyLimits(name="bank", failure_threshold=1, concurrency=4)
    limits.admit(tenant_id=tenant_a.pk, dependency=dependency)
    with all_tenants():
        task = HumanTask.objects.get(instance=waiting)
        claim_task(tenant=tenant_a, task_id=task.pk, user=ada)
        return {
            "instance": Instance.objects.get(pk=failed.pk),
            "historyevent": HistoryEvent.objects.filter(instance=failed).first(),
            "incident": Incident.objects.get(instance=failed),
            "timer": Timer.objects.filter(instance=waiting).first(),
            "humantask": task,
            "taskactivity": TaskActivity.objects.filter(task=task).first(),
            "dependencystate": DependencyState.objects.get(tenant=tenant_a),
        }


def url(obj, page: str) -> str:
    meta = obj._meta
    if page == "add":
        return f"/admin/{meta.app_label}/{meta.model_name}/add/"
    return f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/{page}/"


KINDS = [
    "instance", "historyevent", "incident", "timer", "humantask", "taskactivity",
    "dependencystate",
]  # fmt: skip


@pytest.mark.parametrize("who", ["ada", "root"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_engine_record_is_viewable_but_cannot_be_added_changed_or_deleted(
    client, records, kind, who, request
):
    client.force_login(request.getfixturevalue(who))
    obj = records[kind]
    assert obj is not None, kind
    model = type(obj)
    with all_tenants():
        before = list(model.objects.order_by("pk").values())

    listing = client.get(f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/")
    assert listing.status_code == 200
    assert f">Add {obj._meta.verbose_name}<" not in listing.content.decode()
    page = client.get(url(obj, "change"))
    assert page.status_code == 200
    body = page.content.decode()
    assert f"View {obj._meta.verbose_name}" in body  # Django's read-only view
    assert 'name="_save"' not in body and "Delete</a>" not in body

    assert client.get(url(obj, "add")).status_code == 403
    assert client.post(url(obj, "add"), {"state": "done", "status": "completed"}).status_code == 403
    changed = client.post(url(obj, "change"), {"state": "done", "status": "completed",
                                               "data": "{}", "lease_owner": "me"})  # fmt: skip
    assert changed.status_code == 403
    assert client.post(url(obj, "delete"), {"post": "yes"}).status_code == 403
    bulk = client.post(
        f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/",
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)  # "No action selected": there is none to run
    with all_tenants():
        assert list(model.objects.order_by("pk").values()) == before


def test_the_instance_page_shows_its_fields_read_only_and_its_history_without_add_or_delete(
    client, records, ada
):
    client.force_login(ada)
    instance = records["instance"]
    body = client.get(url(instance, "change")).content.decode()
    for field in ("status", "state", "data", "lease_owner", "fence", "ready"):
        assert f'name="{field}"' not in body, field
        assert f"field-{field}" in body, field  # shown, read-only
    assert "card_declined" in body and "incident_opened" in body  # incidents and history
    for inline in ("history", "incidents"):  # no "Add another …" row may be added
        assert f'name="{inline}-MAX_NUM_FORMS" value="0"' in body, inline
    assert "-DELETE" not in body  # no delete box on the inline rows
    # Deleting the instance would delete its history: refused with it.
    assert client.post(url(instance, "delete"), {"post": "yes"}).status_code == 403
    assert Instance.objects.for_tenant(instance.tenant).filter(pk=instance.pk).exists()


def test_a_tenant_admin_sees_only_their_tenants_history(
    client,
    records,
    ada,
    tenant_b,
    publish,  # noqa: F811
):
    publish(linear(1, key="theirs"), tenant=tenant_b)
    theirs = services.start_instance(tenant=tenant_b, definition_key="theirs", data={})
    client.force_login(ada)
    with all_tenants():
        event = HistoryEvent.objects.filter(instance=theirs).first()
    assert client.get(url(event, "change")).status_code == 302  # not in the queryset: missing
    listing = client.get("/admin/engine/historyevent/").content.decode()
    assert f"instance {records['instance'].pk} " in listing
    assert f"instance {theirs.pk} " not in listing
