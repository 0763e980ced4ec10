"""Live updates swap only the rows that changed: a task ticked for "Claim selected" stays
ticked while other people's tasks appear and change around it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import publish
from tests.integration.inbox.workflows import EXPENSE
from workflow_platform.engine.services import start_instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist import services
from workflow_platform.worklist.models import HumanTask


def open_task(tenant, purpose: str) -> HumanTask:
    instance = start_instance(tenant=tenant, definition_key="expense", data={"purpose": purpose})
    with tenant_scope(tenant):
        return HumanTask.objects.get(instance=instance)


def test_ticked_rows_stay_ticked_while_others_change_live(
    daphne, sign_in, tenant_a, make_member, screenshot
):
    otto = make_member(tenant_a, username="otto")
    olga = make_member(tenant_a, username="olga")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    add_to_group(tenant=tenant_a, group_name="ops", user=olga)
    publish(tenant_a, EXPENSE)
    ticked, other = open_task(tenant_a, "train"), open_task(tenant_a, "hotel")

    page = sign_in("otto")
    page.goto(f"{daphne.url}/inbox/?view=unassigned")
    expect(page.locator("[data-inbox-live]")).to_have_attribute("data-live-state", "connected")
    box = page.get_by_label("Select Approve train")
    box.check()
    page.evaluate(
        "(id) => { document.getElementById(id).dataset.kept = 'yes'; }", f"task-{ticked.pk}"
    )

    arrived = open_task(tenant_a, "taxi")  # someone else's work arrives...
    expect(page.locator(f"#task-{arrived.pk}")).to_be_visible(timeout=2000)
    services.claim_task(tenant=tenant_a, task_id=other.pk, user=olga)  # ...and is taken
    expect(page.locator(f"#task-{other.pk}")).to_have_count(0, timeout=2000)

    expect(box).to_be_checked()
    # The unchanged row is the very element that was there: it was never re-rendered.
    expect(page.locator(f"#task-{ticked.pk}")).to_have_attribute("data-kept", "yes")
    screenshot(page, "inbox-ticks-kept-across-live-updates")

    page.get_by_role("button", name="Claim selected").click()
    expect(page.get_by_text("Claimed 1 task(s).")).to_be_visible()
    with tenant_scope(tenant_a):
        assert HumanTask.objects.get(pk=ticked.pk).assignee == otto
        assert HumanTask.objects.get(pk=arrived.pk).assignee is None
