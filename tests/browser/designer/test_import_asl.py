"""A person imports an Amazon States Language machine in the designer's import dialog:
the editor opens it as a graph with its states laid out, and a bad machine says where
it is wrong."""

import json

from playwright.sync_api import expect

MACHINE = {
    "StartAt": "Check order",
    "States": {
        "Check order": {"Type": "Choice", "Default": "Rejected", "Choices": [
            {"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Hold"}]},
        "Hold": {"Type": "Wait", "Seconds": 5, "Next": "Done"},
        "Done": {"Type": "Succeed"},
        "Rejected": {"Type": "Fail", "Error": "TooSmall"},
    },
}  # fmt: skip


def test_an_asl_machine_opens_laid_out_in_the_editor(
    page, live_server, tenant_a, make_member, log_in, fail_on_dialogs_and_errors
):
    make_member(tenant_a, role="designer", username="dora")
    log_in(page, "dora")
    page.goto(f"{live_server.url}/designer/")
    page.get_by_label("Format").select_option("asl")
    page.locator("#import_key").fill("order-check")
    page.get_by_label("or paste it").fill(json.dumps(MACHINE))
    page.get_by_role("button", name="Import as a draft").click()
    expect(page.get_by_test_id("definition-name")).to_have_text("order-check")
    page.wait_for_function(
        "() => window.WIDesigner && WIDesigner.cy && WIDesigner.cy.nodes().length"
    )
    nodes = page.evaluate(
        "() => WIDesigner.cy.nodes('[id ^= \"s:\"]')"
        ".map((n) => [n.id(), n.position().x, n.position().y])"
    )
    assert {node[0] for node in nodes} == {
        "s:Check-order", "s:Hold", "s:Done", "s:Rejected",
    }  # fmt: skip
    assert len({(x, y) for _, x, y in nodes}) == 4  # laid out, not stacked
    doc = page.evaluate("() => WIDesigner.doc")
    assert doc["states"][0]["label"] == "Check order"
    assert doc["transitions"][0]["choice"] == {"Variable": "$.total", "NumericGreaterThan": 100}
    expect(page.get_by_role("link", name="ASL")).to_be_visible()


def test_a_bad_machine_shows_where_it_is_wrong(page, live_server, tenant_a, make_member, log_in):
    make_member(tenant_a, role="designer", username="dora")
    log_in(page, "dora")
    page.goto(f"{live_server.url}/designer/")
    page.get_by_label("Format").select_option("asl")
    page.locator("#import_key").fill("broken")
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    page.get_by_label("or paste it").fill(json.dumps(bad))
    page.get_by_role("button", name="Import as a draft").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "there is no state 'Nowhere' (at `States.A.Next`)"
    )
