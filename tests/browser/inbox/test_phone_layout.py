"""The inbox on a phone (#19): the task rows stack as cards, so a row's Claim button is on
screen without scrolling sideways, and the tab strip wraps so the current tab is always
visible. Screenshots: test-results/screenshots/inbox-phone-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.unit.inbox.conftest import make_task  # noqa: F401 - fixture
from workflow_platform.tenancy.services import add_to_group


def _within(locator, width: int) -> dict:
    """The locator's box, asserted inside the viewport's width (read again if a live
    refresh swapped the element in between)."""
    for _ in range(20):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        if box is not None:
            break
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    return box


@pytest.mark.parametrize("width", (360, 390))
def test_the_first_rows_claim_button_is_on_a_phones_screen(
    asgi_server,
    sign_in,
    tenant_a,
    make_member,
    make_task,  # noqa: F811
    screenshot,
    width,
):
    otto = make_member(tenant_a, username="otto")
    group = add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    for n in range(3):
        make_task(
            tenant_a, group=group, priority=3 - n,
            title=f"Review expense EXP-2026-00012{n} of Maximiliane Oberhollenzer-Schwarz",
        )  # fmt: skip
    page = sign_in("otto")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{asgi_server}/inbox/?view=unassigned")
    live = page.locator("[data-inbox-live]")
    expect(live).to_have_attribute("data-live-state", "connected")  # its first refresh done
    page.wait_for_load_state("networkidle")
    expect(page.locator("tr.task-row")).to_have_count(3)
    first = page.locator("tr.task-row").first
    claim = _within(first.get_by_role("button", name="Claim"), width)
    assert claim["y"] + claim["height"] <= 844  # and above the fold
    _within(first.get_by_role("checkbox"), width)
    _within(page.locator('#inbox-tabs a[aria-current="page"]'), width)
    scroll = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll <= width, f"the inbox is {scroll} px wide at {width} px"
    screenshot(page, f"inbox-phone-{width}")
    first.get_by_role("button", name="Claim").click()
    expect(page.locator(".messages")).to_contain_text("Task claimed")
