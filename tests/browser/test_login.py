"""A person logs in through the real page, lands on their tenant's home, and leaves."""

from playwright.sync_api import expect


def test_operator_logs_in_and_sees_the_tenant_home(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    make_member(tenant_a, role="operator", username="otto")
    log_in(page, "otto")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tenant A")
    for area in ("Designer", "Inbox", "Instances"):
        expect(page.get_by_role("link", name=area).first).to_be_visible()
    screenshot(page, "home-operator")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_wrong_password_shows_an_error(page, live_server, tenant_a, make_member):
    make_member(tenant_a, username="otto")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("otto")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")


def test_tenant_admin_reaches_the_admin(page, live_server, tenant_a, make_member, log_in):
    from workflow_platform.runtime.demo import _tenant_admins_group

    ada = make_member(tenant_a, role="admin", username="ada", is_staff=True)
    ada.groups.add(_tenant_admins_group())
    log_in(page, "ada")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_text("Workflow Island administration")).to_be_visible()
    expect(page.get_by_role("link", name="Operator groups")).to_be_visible()
