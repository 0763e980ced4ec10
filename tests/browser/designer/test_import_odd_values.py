"""A YAML import with numbers where names and labels belong opens in the editor: the
graph draws them as text, the problems say what is wrong, and the panel fixes them."""

from playwright.sync_api import expect

NUMERIC_YAML = """\
format: workflow-island/v1
key: numeric
name: numeric
initial: start
states:
  - name: start
    label: 2024
  - name: 7
    kind: final
transitions:
  - from: start
    to: 7
    'on': auto
    label: 12
"""


def test_numeric_names_and_labels_from_yaml_draw_and_can_be_fixed(
    page, live_server, tenant_a, make_member, log_in, canvas, fail_on_dialogs_and_errors
):
    make_member(tenant_a, role="designer", username="dora")
    log_in(page, "dora")
    page.goto(f"{live_server.url}/designer/")
    page.get_by_label("or paste it").fill(NUMERIC_YAML)
    page.get_by_role("button", name="Import as a draft").click()
    expect(page.get_by_test_id("definition-name")).to_have_text("numeric")
    expect(page.get_by_test_id("problem-count")).to_contain_text("problem")

    labels = page.evaluate(
        "() => WIDesigner.cy.elements('[label]').map((e) => e.id() + '=' + e.data('label'))"
    )
    assert sorted(labels) == ["s:7=7\n«final»", "s:start=2024", "t:0=12"]

    canvas.click_state("7")
    panel = page.locator("#panel-body")
    expect(panel.get_by_label("Name")).to_have_value("7")
    panel.get_by_label("Name").fill("done")
    panel.get_by_role("button", name="Apply").click()
    expect(panel.get_by_test_id("panel-applied")).to_be_visible()
    doc = page.evaluate("() => WIDesigner.doc")
    assert [s["name"] for s in doc["states"]] == ["start", "done"]
    assert doc["transitions"][0]["to"] == "done"
