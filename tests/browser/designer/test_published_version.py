"""A published version opens read only: its table view and Actions tab list what it holds
and nothing else (no add forms, and no stray "null" where they would be)."""

from playwright.sync_api import expect

from tests.factories import publish_definition

DOCUMENT = {
    "format": "workflow-island/v1",
    "key": "ro",
    "name": "Read only",
    "initial": "start",
    "states": [{"name": "start"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "start", "to": "done", "on": "go", "action": "mark"}],
    "actions": {"mark": {"type": "set", "params": {"set": {"marked": True}}}},
}


def test_published_table_view_and_actions_tab_print_no_null(
    page, live_server, tenant_a, make_member, log_in, screenshot, fail_on_dialogs_and_errors
):
    make_member(tenant_a, role="designer", username="dora")
    version = publish_definition(tenant_a, DOCUMENT)
    log_in(page, "dora")
    page.goto(f"{live_server.url}/designer/versions/{version.pk}/")
    expect(page.get_by_test_id("read-only")).to_be_visible()

    page.get_by_role("button", name="Table view").click()
    table_view = page.locator("#table-view")
    expect(page.get_by_test_id("transitions-table")).to_contain_text("mark")
    assert "null" not in table_view.inner_text()
    assert page.get_by_role("form", name="Add a state").count() == 0
    screenshot(page, "designer-published-table-view")

    page.get_by_role("tab", name="Actions").click()
    catalog = page.locator("#catalog")
    expect(catalog).to_contain_text("mark")
    assert "null" not in catalog.inner_text()
    assert catalog.get_by_role("button", name="+ New action").count() == 0
