"""A designer of a new tenant lands on first steps, installs the seed workflows from the
home page, and the counts follow (on a phone's width)."""

from __future__ import annotations

from playwright.sync_api import expect

from workflow_platform.definitions.templates import template_documents


def test_a_new_tenant_starts_from_the_home_pages_first_steps(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    make_member(tenant_a, role="designer", username="dora")
    page.set_viewport_size({"width": 390, "height": 860})
    log_in(page, "dora")
    steps = page.get_by_test_id("first-steps")
    expect(steps).to_be_visible()
    expect(page.get_by_test_id("count-definitions").locator("strong")).to_have_text("0")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    screenshot(page, "home-first-steps-390")

    steps.get_by_role("button", name="Install the seed workflows").click()
    expect(page.get_by_text("seed workflows: ")).to_be_visible()  # the success message
    expect(page.get_by_test_id("definitions")).to_contain_text("order-processing")

    page.get_by_role("link", name="Workflow Island").click()
    expect(page.get_by_test_id("count-definitions").locator("strong")).to_have_text(
        str(len(template_documents()))
    )
    expect(page.get_by_test_id("step-design")).to_have_class("done")
    expect(page.get_by_test_id("step-start")).to_contain_text("Start")
    screenshot(page, "home-after-install-390")
