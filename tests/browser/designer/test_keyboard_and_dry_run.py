"""The table view builds a workflow with the keyboard alone, undo and redo work from the
keyboard, and the dry run shows which guard lets which transition fire."""

from playwright.sync_api import expect

from workflow_platform.definitions.services import create_definition


def test_keyboard_only_table_view_then_dry_run(
    page, live_server, tenant_a, make_member, log_in, screenshot, fail_on_dialogs_and_errors
):
    make_member(tenant_a, role="designer", username="dora")
    empty = {
        "format": "workflow-island/v1",
        "key": "kb",
        "name": "Keyboard",
        "initial": "",
        "states": [],
        "transitions": [],
    }
    draft = create_definition(tenant=tenant_a, key="kb", name="Keyboard", document=empty)
    log_in(page, "dora")
    page.goto(f"{live_server.url}/designer/versions/{draft.pk}/")
    expect(page.get_by_test_id("problem-count")).not_to_have_text("Checking…")

    page.keyboard.press("t")
    name = page.get_by_label("New state")
    expect(name).to_be_focused()
    for state, kind in (("received", "normal"), ("small", "final"), ("large", "final")):
        name.type(state)
        page.keyboard.press("Tab")
        page.keyboard.type(kind[:2])  # a focused <select> picks by typed letters
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Add state")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("states-table")).to_contain_text(state)
        expect(name).to_be_focused()

    add = page.get_by_role("form", name="Add a transition")
    for target in ("small", "large"):
        add.get_by_label("From").focus()
        page.keyboard.type("re")
        add.get_by_label("To").focus()
        page.keyboard.type(target[:2])
        add.get_by_label("Trigger").press("Control+a")
        page.keyboard.type("decide")
        page.keyboard.press("Enter")
    transitions = page.get_by_test_id("transitions-table")
    expect(transitions.locator("tbody tr")).to_have_count(2)

    panel = page.locator("#panel-body")
    for number, target, guard in (
        (1, "small", "data.amount <= 100"),
        (2, "large", "data.amount > 100"),
    ):
        page.get_by_role("button", name=f"Edit transition {number}").press("Enter")
        # Exact labels: until the transition's panel arrives, the last state's panel
        # (with its "Escalate to ..." fields) may still be showing.
        expect(panel.get_by_label("To", exact=True)).to_have_value(target)
        expect(panel.get_by_label("From", exact=True)).to_be_focused()  # it takes the keyboard
        panel.get_by_label("Guard").focus()
        page.keyboard.type(guard)
        panel.get_by_label("Order").focus()  # two guarded choices need a distinct order
        page.keyboard.type(str(number))
        page.keyboard.press("Enter")
        expect(transitions).to_contain_text(guard)

    page.keyboard.press("Escape")  # leave the field: shortcuts apply again
    page.keyboard.press("Control+z")
    expect(transitions).not_to_contain_text("data.amount > 100")
    page.keyboard.press("Control+Shift+z")
    expect(transitions).to_contain_text("data.amount > 100")
    expect(page.get_by_test_id("problem-count")).to_have_text("✓ Valid")
    screenshot(page, "designer-table-view")

    page.keyboard.press("t")
    page.get_by_role("tab", name="Dry run").click()
    page.get_by_label("Sample data (JSON)").fill('{"amount": 250}')
    page.get_by_role("button", name="Start at the initial state").click()
    expect(page.get_by_test_id("dry-state")).to_have_text("received")
    page.locator("#dry-output").get_by_role("button", name="decide").click()
    candidates = page.get_by_test_id("dry-candidates")
    expect(candidates.locator("tr.fires")).to_contain_text("large")
    expect(candidates).to_contain_text("false")
    screenshot(page, "designer-dry-run")
    page.get_by_role("button", name="Take it: go to large").click()
    expect(page.get_by_test_id("dry-state")).to_have_text("large")
    expect(page.locator("#dry-output")).to_contain_text("terminal state")
