"""The websocket is a hint, never the truth: after a reconnect the page re-reads the database."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import publish
from tests.integration.inbox.workflows import EXPENSE
from workflow_platform.engine.services import start_instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist import services
from workflow_platform.worklist.models import HumanTask


def test_a_change_missed_while_disconnected_shows_after_reconnecting(
    daphne, sign_in, tenant_a, make_member, screenshot
):
    otto = make_member(tenant_a, username="otto")
    olga = make_member(tenant_a, username="olga")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    add_to_group(tenant=tenant_a, group_name="ops", user=olga)
    publish(tenant_a, EXPENSE)
    instance = start_instance(tenant=tenant_a, definition_key="expense", data={"purpose": "fax"})
    with tenant_scope(tenant_a):
        task = HumanTask.objects.get(instance=instance)

    page = sign_in("otto")
    page.goto(f"{daphne.url}/inbox/?view=unassigned")
    live = page.locator("[data-inbox-live]")
    expect(live).to_have_attribute("data-live-state", "connected")
    expect(page.locator(f"#task-{task.pk}")).to_be_visible()

    daphne.stop()
    expect(live).to_have_attribute("data-live-state", "disconnected")
    # Olga claims while otto's page has no connection: the live hint is lost for it.
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=olga)
    daphne.start()

    expect(live).to_have_attribute("data-live-state", "connected", timeout=20000)
    expect(page.locator(f"#task-{task.pk}")).to_have_count(0, timeout=2000)
    expect(page.get_by_test_id("badge-unassigned")).to_have_text("0 unassigned")
    screenshot(page, "inbox-after-reconnect")
