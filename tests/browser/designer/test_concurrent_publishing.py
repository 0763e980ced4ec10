"""Publishing and "save as a new draft" while someone else works on the same definition:
what is published is what was checked, and nobody's draft is saved over."""

from playwright.sync_api import expect

from workflow_platform.definitions.models import Version
from workflow_platform.definitions.services import (
    create_definition,
    new_draft,
    publish_version,
    save_draft,
)

VALID = {
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


def open_editor(page, live_server, version):
    page.goto(f"{live_server.url}/designer/versions/{version.pk}/")
    expect(page.get_by_test_id("problem-count")).to_have_text("✓ Valid")


def with_state(document, name):
    """``document`` with one more (reachable) final state."""
    return {
        **document,
        "states": [*document["states"], {"name": name, "kind": "final"}],
        "transitions": [*document["transitions"], {"from": "start", "to": name, "on": "stop"}],
    }


def test_publishing_a_draft_someone_saved_since_it_was_checked_offers_the_merge(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    make_member(tenant_a, role="designer", username="dora")
    draft = create_definition(tenant=tenant_a, key="quick", name="Quick", document=VALID)
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    # Someone else saves a version of the draft that this page has never seen.
    save_draft(tenant=tenant_a, version_id=draft.pk, document=with_state(VALID, "theirs_only"))

    page.get_by_role("button", name="Publish").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("before you published")
    expect(page.locator("#save-state")).to_contain_text("Not published")
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).status == "draft"
    screenshot(page, "designer-publish-refused-draft-changed")

    dialog.get_by_role("button", name="Load theirs (download mine)").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("version-status")).to_have_text("v1 published")
    published = Version.objects.for_tenant(tenant_a).get(pk=draft.pk)
    assert "theirs_only" in {s["name"] for s in published.document["states"]}


def test_my_edits_to_a_published_version_merge_into_the_draft_someone_already_started(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    make_member(tenant_a, role="designer", username="dora")
    draft = create_definition(tenant=tenant_a, key="quick", name="Quick", document=VALID)
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    # Meanwhile: v1 is published, and someone starts v2 and saves work into it.
    publish_version(tenant=tenant_a, version_id=draft.pk)
    v2 = new_draft(tenant=tenant_a, definition_id=draft.definition_id)
    save_draft(tenant=tenant_a, version_id=v2.pk, document=with_state(VALID, "olgas_state"))

    page.get_by_role("button", name="+ State").click()
    page.get_by_role("button", name="Save draft").click()
    banner = page.get_by_role("alert").filter(has_text="published while you edited")
    banner.get_by_role("button", name="Save my changes as a new draft").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("already started draft v2")
    stored = Version.objects.for_tenant(tenant_a).get(pk=v2.pk).document
    assert [s["name"] for s in stored["states"]] == ["start", "done", "olgas_state"]
    screenshot(page, "designer-new-draft-exists-merge")

    dialog.get_by_role("button", name="Merge my changes into theirs").click()
    page.get_by_role("button", name="Save merged draft").click()
    page.wait_for_url(f"**/designer/versions/{v2.pk}/")
    expect(page.get_by_test_id("version-status")).to_have_text("v2 draft")
    merged = Version.objects.for_tenant(tenant_a).get(pk=v2.pk).document
    assert [s["name"] for s in merged["states"]] == ["start", "done", "olgas_state", "state_1"]
    assert not Version.objects.for_tenant(tenant_a).filter(number=3).exists()


def test_unsaved_work_kept_in_this_browser_merges_into_a_draft_saved_since(
    page, live_server, tenant_a, make_member, log_in
):
    make_member(tenant_a, role="designer", username="dora")
    draft = create_definition(tenant=tenant_a, key="quick", name="Quick", document=VALID)
    log_in(page, "dora")
    open_editor(page, live_server, draft)
    page.get_by_role("button", name="+ State").click()
    expect(page.locator("#save-state")).to_have_text("Unsaved changes")
    save_draft(tenant=tenant_a, version_id=draft.pk, document=with_state(VALID, "theirs_only"))

    later = page.context.new_page()  # the first tab is forgotten, never saved
    later.goto(f"{live_server.url}/designer/versions/{draft.pk}/")
    banner = later.get_by_role("alert").filter(has_text="unsaved changes to this draft")
    banner.get_by_role("button", name="Merge them in").click()
    expect(later.get_by_role("button", name="Save merged draft")).to_be_visible()
    names = later.evaluate("() => WIDesigner.doc.states.map((s) => s.name)")
    assert names == ["start", "done", "theirs_only", "state_1"]
