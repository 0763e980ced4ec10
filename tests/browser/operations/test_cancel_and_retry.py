"""An operator cancels an instance only after giving a reason and confirming, and
corrects a failed instance's data before retrying it; each time the instance page shows
the new status on its own once the worker has moved the instance."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.factories import publish
from tests.unit.engine.conftest import linear
from workflow_platform.engine import services
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.tenancy.scoping import all_tenants

RECORD = {"type": "python", "params": {"callable": "engine_tests.record"}}
BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}
BOOKED = {
    "key": "booked", "initial": "new",
    "states": [{"name": "new"}, {"name": "held"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "new", "to": "held", "action": "book"},
                    {"from": "held", "to": "done", "on": "confirm"}],
    "actions": {"book": {**RECORD, "compensation": "unbook"}, "unbook": RECORD},
}  # fmt: skip


def status_of(instance) -> str:
    with all_tenants():
        return Instance.objects.get(pk=instance.pk).status


def no_inline_scripts(page) -> None:
    """What a strict Content-Security-Policy would block: none of it on the page."""
    inline = page.locator("script:not([src]):not([type='application/json'])")
    assert inline.count() == 0
    assert (
        page.evaluate(
            "() => [...document.querySelectorAll('*')].flatMap("
            "(el) => [...el.attributes].map((a) => a.name)).filter((n) => n.startsWith('on'))"
        )
        == []
    )


def test_cancel_needs_a_reason_and_a_confirmation_then_compensates(
    page, live_server, tenant_a, make_member, log_in, work, screenshot, page_problems
):
    make_member(tenant_a, role="operator", username="olga")
    publish(tenant_a, BOOKED)
    instance = services.start_instance(tenant=tenant_a, definition_key="booked", data={})
    work()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "olga")
    page.goto(f"{live_server.url}/operations/instances/{instance.pk}/")
    expect(page.get_by_test_id("instance-status")).to_have_text("Waiting")
    no_inline_scripts(page)

    page.get_by_role("link", name="Cancel…").click()
    expect(page.get_by_role("heading", name=f"Cancel instance {instance.pk}?")).to_be_visible()
    assert status_of(instance) == "waiting"  # the click only asked
    expect(page.get_by_text("unbook undoes book (step 1)")).to_be_visible()
    no_inline_scripts(page)
    page.get_by_role("button", name="Cancel the instance").click()  # no reason given
    expect(page.get_by_role("alert")).to_have_text("Say why the instance is cancelled.")
    assert status_of(instance) == "waiting"

    page.get_by_label("Reason *").fill("The customer withdrew the order.")
    page.get_by_label("Undo it: cancel with compensation").check()
    screenshot(page, "operations-cancel-confirm")
    page.get_by_role("button", name="Cancel the instance").click()
    expect(page.get_by_text("Cancelling: the completed steps are being undone.")).to_be_visible()
    expect(page.get_by_test_id("instance-status")).to_have_text("Compensating")
    expect(page.get_by_test_id("live-refresh")).to_be_visible()

    work()  # a worker runs the compensation; the page shows it without a reload by hand
    expect(page.get_by_test_id("instance-status")).to_have_text("Compensated", timeout=10_000)
    expect(page.get_by_test_id("live-refresh")).to_have_count(0)
    row = page.locator("tr", has_text="Compensating").first
    expect(row).to_contain_text("The customer withdrew the order.")
    expect(row.get_by_test_id("history-by")).to_have_text("olga")
    screenshot(page, "operations-cancelled-and-compensated")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/operations/instances/{instance.pk}/cancel")
    expect(page.get_by_text("already compensated")).to_be_visible()  # nothing left to cancel
    assert page_problems == []


def test_an_operator_corrects_the_data_then_retries_and_sees_it_complete(
    page, live_server, tenant_a, make_member, log_in, work, screenshot, page_problems
):
    make_member(tenant_a, role="operator", username="olga")
    publish(tenant_a, linear(1, action=BROKEN, key="charge"))
    instance = services.start_instance(
        tenant=tenant_a, definition_key="charge", data={"card": "4000", "order": "A-17"}
    )
    work()
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "olga")
    page.goto(f"{live_server.url}/operations/instances/{instance.pk}/")
    expect(page.get_by_test_id("instance-status")).to_have_text("Failed")
    expect(page.get_by_test_id("instance-steps")).to_contain_text("failed at step 1")
    expect(page.get_by_test_id("incident-step")).to_have_text("1")
    screenshot(page, "operations-instance-failed-1366")

    page.get_by_role("link", name="Edit data and retry…").click()
    data = page.get_by_label("Data (JSON) *")
    assert json.loads(data.input_value()) == {"card": "4000", "order": "A-17"}
    data.fill('{"card": "4242", ')  # broken JSON: refused, nothing changes
    page.get_by_role("button", name="Save the data and retry").click()
    expect(page.get_by_test_id("data-error")).to_contain_text("This is not JSON")
    assert status_of(instance) == "failed"

    data.fill(json.dumps({"card": "4242", "order": "A-17", "fixed": True}, indent=2))
    screenshot(page, "operations-edit-data-and-retry")
    page.get_by_role("button", name="Save the data and retry").click()
    expect(page.get_by_text("Retrying the failed step with the corrected data")).to_be_visible()
    expect(page.get_by_test_id("instance-status")).to_have_text("Running")

    work()  # the retried step succeeds on a worker; the page follows by itself
    expect(page.get_by_test_id("instance-status")).to_have_text("Completed", timeout=10_000)
    expect(page.locator("pre.json")).to_contain_text('"card": "4242"')
    row = page.locator("tr", has_text="Incident Retried")
    expect(row.get_by_test_id("history-by")).to_have_text("olga")
    expect(row).to_contain_text('"before": {"card": "4000"}')
    with all_tenants():
        event = HistoryEvent.objects.get(instance=instance, type="incident_retried")
    assert event.detail["data"]["after"] == {"card": "4242", "fixed": True}
    screenshot(page, "operations-retried-and-completed")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "operations-instance-390")
    assert page_problems == []
