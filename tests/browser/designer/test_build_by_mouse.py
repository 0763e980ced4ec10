"""A designer builds a workflow from nothing with the mouse, publishes it, starts it and
sees the instance on the live view."""

import re

from playwright.sync_api import expect


def apply_panel(page):
    page.locator("#panel-body").get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("panel-applied")).to_be_visible()


def expect_transition_panel(panel, source, target):
    # Exact labels: a state's panel may still show ("Escalate to ...") until this one lands.
    expect(panel.get_by_label("From", exact=True)).to_have_value(source)
    expect(panel.get_by_label("To", exact=True)).to_have_value(target)
    expect(panel.get_by_test_id("panel-applied")).to_have_count(0)
    expect(panel.get_by_label("Trigger")).to_have_value("auto")


def test_workflow_built_by_mouse_validates_publishes_starts_and_shows_live(
    page, live_server, tenant_a, make_member, log_in, canvas, screenshot, fail_on_dialogs_and_errors
):
    make_member(tenant_a, role="designer", username="dora")
    log_in(page, "dora")
    page.get_by_role("link", name="Designer").first.click()
    page.get_by_label("Key", exact=True).fill("loan-intake")
    page.get_by_label("Name").fill("Loan intake")
    page.get_by_role("button", name="Create and open").click()
    expect(page.get_by_test_id("definition-name")).to_have_text("Loan intake")
    expect(page.get_by_text("An empty machine.")).to_be_visible()
    screenshot(page, "designer-empty")

    # Three states, each placed by double-clicking the canvas and named in its panel.
    for name, kind, (fx, fy) in (
        ("received", "normal", (0.2, 0.45)),
        ("approved", "normal", (0.5, 0.3)),
        ("closed", "final", (0.8, 0.45)),
    ):
        canvas.add_state_at(fx, fy)
        panel = page.locator("#panel-body")
        expect(panel.get_by_label("Name")).to_have_value(re.compile(r"^state_\d+$"))
        panel.get_by_label("Name").fill(name)
        panel.get_by_label("Kind").select_option(kind)
        apply_panel(page)
    assert canvas.point_of("received") and canvas.point_of("closed")

    # Two transitions, each drawn by dragging from one state onto the next.
    canvas.connect("received", "approved")
    panel = page.locator("#panel-body")
    expect_transition_panel(panel, "received", "approved")
    panel.get_by_label("Trigger").fill("approve")
    panel.get_by_label("Guard").fill("data.amount > 10")
    apply_panel(page)
    canvas.connect("approved", "closed")
    expect_transition_panel(panel, "approved", "closed")
    panel.get_by_label("Trigger").fill("close")
    apply_panel(page)

    expect(page.get_by_test_id("problem-count")).to_have_text("✓ Valid")
    assert page.evaluate("() => WIDesigner.doc.transitions") == [
        {"from": "received", "to": "approved", "on": "approve", "when": "data.amount > 10"},
        {"from": "approved", "to": "closed", "on": "close"},
    ]
    screenshot(page, "designer-built-by-mouse")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#save-state")).to_contain_text("Saved")

    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("version-status")).to_have_text("v1 published")
    # The editor has set itself up on the published page (its tabs answer clicks) once
    # it says so; under load that comes well after the status text.
    expect(page.locator("#banner")).to_contain_text("Published.")
    published_url = page.url

    page.get_by_role("tab", name="Start").click()
    page.get_by_label("Data (JSON object)").fill('{"amount": 50}')
    page.get_by_role("button", name="Start instance").click()
    expect(page.get_by_test_id("started")).to_contain_text("in state received")

    page.get_by_role("tab", name="Live").click()
    count = page.get_by_test_id("live-count-received")
    expect(count).to_have_text("1")
    assert "state=received" in count.get_attribute("href")
    screenshot(page, "designer-live")
    count.click()  # click-through to the operations list, filtered to that state
    expect(page).to_have_url(re.compile(r"/operations/instances/\?.*state=received"))
    expect(page.get_by_label("State")).to_have_value("received")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    page.go_back()  # history brings the editor back as it is now, not a cached draft

    # The next version starts from the published one; comparing shows what changed.
    page.get_by_role("button", name="New draft from v1").click()
    expect(page.get_by_test_id("version-status")).to_have_text("v2 draft")
    canvas.add_state_at(0.5, 0.75)
    panel = page.locator("#panel-body")
    expect(panel.get_by_label("Name")).to_have_value(re.compile(r"^state_\d+$"))
    panel.get_by_label("Name").fill("audit")
    apply_panel(page)
    panel.get_by_label("Label").fill("Audit step")  # edited, not applied: Save applies it
    expect(panel.get_by_text("Not applied yet")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#save-state")).to_contain_text("Saved")
    labels = page.evaluate("() => WIDesigner.doc.states.map((s) => s.label || '')")
    assert "Audit step" in labels
    page.get_by_label("Compare with").select_option(label="v1 · published")
    expect(page.locator("#diff-summary")).to_contain_text("states +1 −0 ~0")
    assert canvas.has_class("s:audit", "diff-added")
    assert not canvas.has_class("s:received", "diff-added")
    screenshot(page, "designer-diff")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    assert download.value.suggested_filename == "loan-intake-v2.json"

    # Asked again from v1, the definition's one draft is named, not silently opened.
    page.goto(published_url)
    page.get_by_role("button", name="New draft from v1").click()
    expect(page.locator("#banner")).to_contain_text("already has a draft, v2")
    expect(page.get_by_test_id("version-status")).to_have_text("v1 published")
    page.get_by_role("link", name="Open draft v2").click()
    expect(page.get_by_test_id("version-status")).to_have_text("v2 draft")
