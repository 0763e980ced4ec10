"""The live inbox on the embedded default (SQLite, notification-row relay, no Redis): a
task opened by another process reaches two operators' inboxes live, and a claim by one
takes it out of the other's unassigned list live."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_task_opened_elsewhere_shows_up_live_on_the_embedded_default(
    embedded_site, sign_in_embedded, screenshot
):
    pages = {name: sign_in_embedded(name) for name in ("otto", "olga")}
    for page in pages.values():
        page.goto(f"{embedded_site.url}/inbox/?view=unassigned")
        expect(page.locator("[data-inbox-live]")).to_have_attribute("data-live-state", "connected")
        expect(page.get_by_test_id("badge-unassigned")).to_have_text("0 unassigned")

    task_id = embedded_site.run("start", "train to Lyon")  # another process, same SQLite
    row = f"#task-{task_id}"
    for page in pages.values():
        # The relay polls every 200 ms; a second and a half covers it on a busy machine.
        expect(page.locator(row)).to_contain_text("Approve train to Lyon", timeout=1500)
        expect(page.get_by_test_id("badge-unassigned")).to_have_text("1 unassigned")
    screenshot(pages["olga"], "inbox-embedded-task-arrives")

    pages["olga"].locator(row).get_by_role("button", name="Claim").click()
    expect(pages["olga"].get_by_text("Task claimed")).to_be_visible()
    expect(pages["otto"].locator(row)).to_have_count(0, timeout=1500)
    expect(pages["otto"].get_by_test_id("badge-unassigned")).to_have_text("0 unassigned")
