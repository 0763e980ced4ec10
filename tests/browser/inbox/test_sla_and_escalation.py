"""The SLA countdown turns due-soon then overdue, and escalation moves the task live."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.factories import publish
from tests.integration.inbox.workflows import escalating
from workflow_platform.engine.scheduler import sweep_due_timers
from workflow_platform.engine.services import start_instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask


def test_overdue_task_turns_red_and_escalates_live_to_the_leads(
    asgi_server, sign_in, tenant_a, make_member, screenshot
):
    otto = make_member(tenant_a, username="otto")
    lena = make_member(tenant_a, username="lena")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    add_to_group(tenant=tenant_a, group_name="leads", user=lena)
    publish(tenant_a, escalating(due="3s", to_group="leads"))

    otto_page, lena_page = sign_in("otto"), sign_in("lena")
    for page in (otto_page, lena_page):
        page.goto(f"{asgi_server}/inbox/?view=groups")
        expect(page.locator("[data-inbox-live]")).to_have_attribute("data-live-state", "connected")

    instance = start_instance(
        tenant=tenant_a, definition_key="expense-escalating", data={"purpose": "late taxi"}
    )
    with tenant_scope(tenant_a):
        task = HumanTask.objects.get(instance=instance)
    row = otto_page.locator(f"#task-{task.pk}")
    expect(row.locator(".sla")).to_have_attribute("data-sla", "due-soon", timeout=1000)
    expect(row.locator(".sla")).to_contain_text("due in")
    expect(lena_page.locator(f"#task-{task.pk}")).to_have_count(0)
    screenshot(otto_page, "inbox-sla-due-soon")

    expect(row.locator(".sla")).to_have_attribute("data-sla", "overdue", timeout=5000)
    expect(row.locator(".sla")).to_contain_text("overdue by")
    screenshot(otto_page, "inbox-sla-overdue")

    time.sleep(0.2)
    sweep_due_timers()  # the scheduler's sweep, run here instead of by Celery beat
    sweep_due_timers()  # a second sweeper finds nothing left to escalate

    lena_row = lena_page.locator(f"#task-{task.pk}")
    expect(lena_row).to_contain_text("escalated", timeout=1000)
    expect(lena_row).to_have_class(re.compile(r"\bsla-overdue\b"))
    expect(otto_page.locator(f"#task-{task.pk}")).to_have_count(0, timeout=1000)
    expect(lena_page.get_by_test_id("badge-overdue")).to_have_text("1 overdue")
    screenshot(lena_page, "inbox-escalated-to-leads")
    with tenant_scope(tenant_a):
        escalated = HumanTask.objects.select_related("group").get(pk=task.pk)
    assert escalated.group.name == "leads" and escalated.escalated_at is not None
