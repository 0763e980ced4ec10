"""Three live sessions: two operators of Acme's 'ops' group and one of Globex.

A task started through the REST API shows up for both Acme operators within a second and
never for Globex; when one claims it, it leaves the other's unassigned list live;
completing it resumes the instance.
"""

from __future__ import annotations

import json
import time

import requests
from playwright.sync_api import expect

from tests.factories import publish
from tests.integration.inbox.workflows import EXPENSE
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask


def record_frames(page) -> list[dict]:
    frames: list[dict] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))),
    )
    return frames


def wait_until(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_task_reaches_its_group_live_and_never_the_other_tenant(
    asgi_server, sign_in, start_worker, tenant_a, tenant_b, make_member, make_token, screenshot
):
    otto = make_member(tenant_a, username="otto")
    olga = make_member(tenant_a, username="olga")
    gus = make_member(tenant_b, username="gus")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    add_to_group(tenant=tenant_a, group_name="ops", user=olga)
    add_to_group(tenant=tenant_b, group_name="ops", user=gus)  # same name, other tenant
    publish(tenant_a, EXPENSE)
    _, token = make_token(tenant_a, make_member(tenant_a, role="operator", username="api"))
    start_worker()

    pages = {name: sign_in(name) for name in ("otto", "olga", "gus")}
    frames = {name: record_frames(page) for name, page in pages.items()}
    for name, page in pages.items():
        page.goto(f"{asgi_server}/inbox/?view=unassigned")
        expect(page.locator("[data-inbox-live]")).to_have_attribute("data-live-state", "connected")

    response = requests.post(
        f"{asgi_server}/api/instances/",
        json={"definition": "expense", "data": {"purpose": "train to Lyon"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    instance_id = response.json()["id"]
    with tenant_scope(tenant_a):
        task = HumanTask.objects.get(instance_id=instance_id)
    row = f"#task-{task.pk}"
    for name in ("otto", "olga"):
        expect(pages[name].locator(row)).to_contain_text("Approve train to Lyon", timeout=1000)
    screenshot(pages["olga"], "inbox-olga-sees-new-task")

    for name in ("otto", "olga"):
        expect(pages[name].get_by_test_id("badge-unassigned")).to_have_text(
            "1 unassigned", timeout=1000
        )
    pages["gus"].reload()
    expect(pages["gus"].locator("[data-inbox-live]")).to_have_attribute(
        "data-live-state", "connected"
    )
    expect(pages["gus"].get_by_text("Approve train to Lyon")).to_have_count(0)
    assert not [f for f in frames["gus"] if f.get("task_id") == task.pk]
    screenshot(pages["gus"], "inbox-globex-sees-nothing")

    pages["otto"].locator(row).get_by_role("button", name="Claim").click()
    expect(pages["otto"].get_by_text("Task claimed")).to_be_visible()
    expect(pages["olga"].locator(row)).to_have_count(0, timeout=1000)
    screenshot(pages["olga"], "inbox-olga-after-otto-claims")

    otto_page = pages["otto"]
    otto_page.goto(f"{asgi_server}/inbox/tasks/{task.pk}/")
    expect(otto_page.get_by_test_id("task-assignee")).to_contain_text("otto")
    otto_page.get_by_label("Approved amount").fill("0")
    otto_page.get_by_role("button", name="Approve").click()
    expect(otto_page.get_by_role("alert")).to_contain_text("less than the minimum")
    screenshot(otto_page, "inbox-task-form-error")
    otto_page.get_by_label("Approved amount").fill("120")
    otto_page.get_by_role("button", name="Approve").click()
    expect(otto_page.get_by_text("Done: Approve train to Lyon")).to_be_visible()

    def ended():
        with tenant_scope(tenant_a):
            return Instance.objects.filter(pk=instance_id, state="paid").exists()

    wait_until(ended)
    with tenant_scope(tenant_a):
        done = HumanTask.objects.get(pk=task.pk)
    assert done.status == "completed" and done.decision_data == {"amount": 120}
    assert done.completed_by == otto
    screenshot(otto_page, "inbox-otto-after-completing")
