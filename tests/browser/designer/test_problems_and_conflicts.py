"""An invalid graph shows its problems on the nodes; two tabs editing one draft do not
silently lose either's work; names and labels holding markup render as text."""

from playwright.sync_api import expect

from workflow_platform.definitions.models import Version
from workflow_platform.definitions.services import create_definition

BROKEN = {
    "format": "workflow-island/v1",
    "key": "broken",
    "name": "Broken",
    "initial": "start",
    "states": [
        {"name": "start", "position": {"x": 0, "y": 0}},
        {"name": "orphan", "position": {"x": 250, "y": 120}},
        {"name": "review", "kind": "human", "position": {"x": 250, "y": 0}},
        {"name": "done", "kind": "final", "position": {"x": 500, "y": 0}},
    ],
    "transitions": [
        {"from": "start", "to": "review", "on": "auto"},
        {"from": "review", "to": "done", "on": "approve", "when": "data.x >"},
    ],
}


def open_editor(page, live_server, version):
    page.goto(f"{live_server.url}/designer/versions/{version.pk}/")
    expect(page.get_by_test_id("problem-count")).not_to_have_text("Checking…")


def test_an_invalid_graph_shows_its_problems_on_the_nodes(
    page, live_server, tenant_a, make_member, log_in, canvas, screenshot
):
    make_member(tenant_a, role="designer", username="dora")
    draft = create_definition(tenant=tenant_a, key="broken", name="Broken", document=BROKEN)
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    expect(page.get_by_test_id("problem-count")).to_contain_text("problem")
    assert canvas.has_class("s:orphan", "problem")
    assert canvas.has_class("s:review", "problem")
    assert not canvas.has_class("s:done", "problem")
    expect(page.get_by_role("button", name="Publish")).to_be_disabled()
    page.get_by_test_id("problem-count").click()
    problems = page.get_by_test_id("problem-list")
    expect(problems.locator("li").first).to_be_visible()
    expect(problems).to_contain_text("State 'orphan'")
    expect(problems).not_to_contain_text("states[")  # the element in words, not its path
    screenshot(page, "designer-problems")


def test_two_tabs_editing_one_draft_keep_both_changes(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    make_member(tenant_a, role="designer", username="dora")
    draft = create_definition(
        tenant=tenant_a,
        key="shared",
        name="Shared",
        document={**BROKEN, "key": "shared", "states": BROKEN["states"][:1], "transitions": []},
    )
    log_in(page, "dora")
    first = page
    second = page.context.new_page()
    open_editor(first, live_server, draft)
    open_editor(second, live_server, draft)

    first.get_by_role("button", name="+ State").click()
    first.locator("#panel-body").get_by_label("Name").fill("from_first_tab")
    first.locator("#panel-body").get_by_role("button", name="Apply").click()
    expect(first.get_by_test_id("panel-applied")).to_be_visible()
    first.get_by_role("button", name="Save draft").click()
    expect(first.locator("#save-state")).to_contain_text("Saved")

    second.bring_to_front()  # a background tab does not paint its canvas
    second.get_by_role("button", name="+ State").click()
    second.locator("#panel-body").get_by_label("Name").fill("from_second_tab")
    second.locator("#panel-body").get_by_role("button", name="Apply").click()
    expect(second.get_by_test_id("panel-applied")).to_be_visible()
    second.get_by_role("button", name="Save draft").click()
    dialog = second.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    expect(second.locator("#save-state")).to_contain_text("conflict")
    screenshot(second, "designer-conflict")

    dialog.get_by_role("button", name="Merge my changes into theirs").click()
    second.get_by_role("button", name="Save merged draft").click()
    expect(second.locator("#save-state")).to_contain_text("Saved")
    stored = Version.objects.for_tenant(tenant_a).get(pk=draft.pk).document
    names = {s["name"] for s in stored["states"]}
    assert {"start", "from_first_tab", "from_second_tab"} <= names

    first.bring_to_front()
    first.reload()
    first.get_by_role("button", name="Table view").click()
    expect(first.get_by_test_id("states-table")).to_contain_text("from_second_tab")


def test_names_and_labels_holding_markup_render_as_text(
    page, live_server, tenant_a, make_member, log_in, canvas, screenshot, fail_on_dialogs_and_errors
):
    make_member(tenant_a, role="designer", username="dora")
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    document = {
        **BROKEN,
        "key": "evil",
        "states": [
            {"name": "start", "label": evil, "position": {"x": 0, "y": 0}},
            {"name": "<b>bold</b>", "kind": "final", "position": {"x": 300, "y": 0}},
        ],
        "transitions": [{"from": "start", "to": "<b>bold</b>", "on": "go", "label": evil}],
    }
    draft = create_definition(tenant=tenant_a, key="evil", name=evil, document=document)
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    expect(page.get_by_test_id("definition-name")).to_have_text(evil)
    assert page.evaluate("() => WIDesigner.cy.getElementById('s:start').data('label')") == evil
    page.get_by_test_id("problem-count").click()
    expect(page.get_by_test_id("problem-list")).to_contain_text("<b>bold</b>")
    page.get_by_role("button", name="Table view").click()
    table = page.get_by_test_id("states-table")
    expect(table).to_contain_text(evil)
    expect(table).to_contain_text("<b>bold</b>")
    assert page.locator("#table-view b, #table-view img, #problem-list b").count() == 0
    table.get_by_role("button", name="Edit state start").click()
    expect(page.locator("#panel-body").get_by_label("Label")).to_have_value(evil)
    assert page.locator("#panel-body img, #panel-body script").count() == 0
    screenshot(page, "designer-markup-as-text")


def test_unsaved_work_left_in_a_tab_is_offered_back(
    page, live_server, tenant_a, make_member, log_in
):
    make_member(tenant_a, role="designer", username="dora")
    draft = create_definition(
        tenant=tenant_a,
        key="kept",
        name="Kept",
        document={**BROKEN, "key": "kept", "states": BROKEN["states"][:1], "transitions": []},
    )
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    page.get_by_role("button", name="+ State").click()
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")

    later = page.context.new_page()  # the first tab is forgotten, never saved
    open_editor(later, live_server, draft)
    banner = later.get_by_role("alert").filter(has_text="unsaved changes to this draft")
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Restore them").click()
    assert later.evaluate("() => WIDesigner.doc.states.map((s) => s.name)") == ["start", "state_1"]
    expect(later.locator("#save-state")).to_have_text("Unsaved changes")


def test_edits_to_a_version_published_meanwhile_go_to_a_new_draft(
    page, live_server, tenant_a, make_member, log_in
):
    from workflow_platform.definitions.services import publish_version

    make_member(tenant_a, role="designer", username="dora")
    valid = {
        "format": "workflow-island/v1",
        "key": "quick",
        "name": "Quick",
        "initial": "start",
        "states": [
            {"name": "start", "position": {"x": 0, "y": 0}},
            {"name": "done", "kind": "final", "position": {"x": 300, "y": 0}},
        ],
        "transitions": [{"from": "start", "to": "done", "on": "auto"}],
    }
    draft = create_definition(tenant=tenant_a, key="quick", name="Quick", document=valid)
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    publish_version(tenant=tenant_a, version_id=draft.pk)  # someone else publishes it
    page.get_by_role("button", name="+ State").click()
    page.get_by_role("button", name="Save draft").click()
    banner = page.get_by_role("alert").filter(has_text="published while you edited")
    banner.get_by_role("button", name="Save my changes as a new draft").click()
    expect(page.get_by_test_id("version-status")).to_have_text("v2 draft")
    v2 = Version.objects.for_tenant(tenant_a).get(definition=draft.definition, number=2)
    assert [s["name"] for s in v2.document["states"]] == ["start", "done", "state_1"]
