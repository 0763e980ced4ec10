"""What the instance page says agrees with itself and with the engine: the header's step
is the incidents' step, a decided task's row names who decided, and while the instance
moves the page reloads when it changes (so a retry's outcome shows)."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.integration.inbox.workflows import EXPENSE
from workflow_platform.engine import services
from workflow_platform.engine.models import HistoryEvent, Incident, Instance
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask
from workflow_platform.worklist.services import complete_task

from .conftest import linear

BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}
RECORD = {"type": "python", "params": {"callable": "engine_tests.record"}}


def page_of(client, instance) -> str:
    return client.get(reverse("operations:instance", args=[instance.pk])).content.decode()


def test_the_header_names_the_failed_step_as_the_incident_does(
    client, tenant_a, make_member, publish, work
):
    client.force_login(make_member(tenant_a, role="operator"))
    # Two steps succeed, the third fails for good: 2 taken, step 3 failed.
    publish({
        "key": "third", "initial": "a",
        "states": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "a", "to": "b", "action": "ok"},
                        {"from": "b", "to": "c", "action": "ok"},
                        {"from": "c", "to": "done", "action": "broken"}],
        "actions": {"ok": RECORD, "broken": BROKEN},
    })  # fmt: skip
    instance = services.start_instance(tenant=tenant_a, definition_key="third", data={})
    work()
    instance = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    incident = Incident.objects.for_tenant(tenant_a).get(instance=instance)
    assert (instance.step, incident.step) == (2, 3)

    page = page_of(client, instance)
    header = re.search(r'data-testid="instance-steps">(.*?)</span>', page, re.S).group(1)
    assert "2 steps taken" in header
    assert f"failed at step {incident.step}" in header
    assert f'data-testid="incident-step">{incident.step}</td>' in page

    services.redrive_instance(tenant=tenant_a, instance_id=instance.pk)
    redriven = HistoryEvent.objects.for_tenant(tenant_a).get(instance=instance, type="redriven")
    assert redriven.detail == {"from_step": incident.step}  # the engine numbers it alike
    page = page_of(client, instance)
    assert "failed at step" not in page  # resolved: no failed step to name


def test_a_decided_tasks_history_row_says_who_decided_and_what(
    client, tenant_a, make_member, publish, work
):
    otto = make_member(tenant_a, role="operator", username="otto")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    publish(EXPENSE)
    instance = services.start_instance(
        tenant=tenant_a, definition_key="expense", data={"purpose": "train"}
    )
    work()
    task = HumanTask.objects.for_tenant(tenant_a).get(instance=instance)
    complete_task(tenant=tenant_a, task_id=task.pk, user=otto, decision="approve",
                  data={"amount": 40})  # fmt: skip
    event = HistoryEvent.objects.for_tenant(tenant_a).get(instance=instance, type="task_completed")
    assert event.user == otto
    assert event.detail == {
        "task": task.pk, "decision": "approve", "decided_by": "otto", "payload": {"amount": 40},
    }  # fmt: skip

    client.force_login(make_member(tenant_a, role="viewer"))
    page = page_of(client, instance)
    row = re.search(rf"<tr><td>{event.seq}</td>.*?</tr>", page, re.S).group(0)
    assert "decided <strong>Approve</strong>" in row  # the event as words: no label here
    assert '<td data-testid="history-by">otto</td>' in row

    otto.delete()  # the account goes; the history still says who decided
    page = page_of(client, instance)
    row = re.search(rf"<tr><td>{event.seq}</td>.*?</tr>", page, re.S).group(0)
    assert '<td data-testid="history-by">otto</td>' in row


def test_a_moving_instance_page_asks_for_changes_and_reloads_when_there_are(
    client, tenant_a, make_member, publish, work
):
    client.force_login(make_member(tenant_a, role="operator"))
    publish(linear(1, action=BROKEN, key="charge"))
    instance = services.start_instance(tenant=tenant_a, definition_key="charge", data={})
    work()
    failed = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    assert 'data-testid="live-refresh"' not in page_of(client, failed)  # nothing will move

    services.retry_incident(tenant=tenant_a, instance_id=instance.pk, data={"fixed": True})
    running = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    page = page_of(client, running)
    changes = reverse("operations:changes", args=[instance.pk])
    assert f'hx-get="{changes}?seq={running.seq}"' in page
    assert 'hx-trigger="every 2s"' in page

    unchanged = client.get(changes, {"seq": running.seq})
    assert unchanged.status_code == 204 and "HX-Refresh" not in unchanged
    work()  # the retried step runs and the instance completes
    moved = client.get(changes, {"seq": running.seq})
    assert moved.status_code == 200 and moved["HX-Refresh"] == "true"
    for junk in ("", "abc", "9" * 5000, "-1", "²", "1.0"):
        assert client.get(changes, {"seq": junk})["HX-Refresh"] == "true"
    done = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    page = page_of(client, done)
    assert "Completed" in page and 'data-testid="live-refresh"' not in page


def test_another_tenants_changes_are_not_found(client, tenant_a, tenant_b, make_member, publish):
    client.force_login(make_member(tenant_a, role="operator"))
    publish(linear(1, key="theirs"), tenant=tenant_b)
    theirs = services.start_instance(tenant=tenant_b, definition_key="theirs", data={})
    assert (
        client.get(reverse("operations:changes", args=[theirs.pk]), {"seq": 1}).status_code == 404
    )
