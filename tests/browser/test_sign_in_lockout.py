"""A person who mistypes their password too often meets a clear lockout page, not an error."""

from django.conf import settings
from playwright.sync_api import expect


def test_repeated_wrong_passwords_lead_to_the_lockout_page(
    page, live_server, tenant_a, make_member, screenshot
):
    make_member(tenant_a, username="otto")
    page.goto(f"{live_server.url}/accounts/login/")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        page.get_by_label("Username").fill("otto")
        page.get_by_label("Password").fill(f"wrong-{attempt}")
        page.get_by_role("button", name="Log in").click()
        if attempt < settings.AXES_FAILURE_LIMIT - 1:
            expect(page.get_by_role("alert")).to_contain_text("didn't match")
    expect(page.get_by_role("heading", name="Sign-in locked for now")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("otto")
    screenshot(page, "sign-in-locked")
    page.get_by_role("link", name="Back to sign-in").click()
    page.get_by_label("Username").fill("otto")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Sign-in locked for now")).to_be_visible()
