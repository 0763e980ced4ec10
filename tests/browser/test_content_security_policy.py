"""The Content-Security-Policy in a real browser (docs/adr/0014-content-security-policy.md).

A script injected into a real page (as a stored XSS would put it there) does not run, and
the browser reports the violation; every page of the platform, the admin and the API's
Swagger page, works under the policy with no violation at all.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests import factories
from workflow_platform.tenancy.services import add_member

# Recorded from before any page script runs: an init script is not subject to the page's CSP.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
INJECTED = (
    '<script>window.__injected = "inline script ran";</script>'
    '<img src="/static/css/platform.css?x" onerror="window.__handler = \'handler ran\'">'
)


def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_an_injected_inline_script_and_handler_do_not_run(
    page, live_server, tenant_a, make_member, log_in
):
    make_member(tenant_a, role="operator", username="otto")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, "otto")

    def inject(route):
        response = route.fetch()
        html = response.text().replace("</main>", INJECTED + "</main>")
        route.fulfill(response=response, body=html)

    page.route(re.compile(r".*/inbox/$"), inject)
    page.goto(f"{live_server.url}/inbox/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.locator("main script").count() == 1  # it is in the page...
    assert page.evaluate("window.__injected") is None  # ...but never ran
    assert page.evaluate("window.__handler") is None
    seen = violations(page)
    assert any(v.startswith("script-src") for v in seen), seen
    assert any("Content Security Policy" in line for line in console), console


def test_every_page_works_under_the_policy(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    ada = make_member(tenant_a, role="admin", username="ada", is_staff=True, is_superuser=True)
    version = factories.publish(
        tenant_a,
        {
            "key": "tiny",
            "initial": "start",
            "states": [
                {"name": "start", "transitions": [{"to": "done"}]},
                {"name": "done", "kind": "final"},
            ],
        },
    )
    instance = factories.start(tenant_a, version, {})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, ada.username)
    pages = {
        "/": page.get_by_role("heading", level=1),
        "/designer/": page.get_by_role("heading", level=1),
        f"/designer/versions/{version.pk}/": page.locator("#cy canvas").first,
        "/inbox/": page.get_by_role("heading", level=1),
        "/operations/instances/": page.get_by_role("heading", level=1),
        f"/operations/instances/{instance.pk}/": page.locator("#instance-graph canvas").first,
        "/operations/dependencies/": page.get_by_role("heading", level=1),
        "/admin/": page.get_by_text("Workflow Island administration"),
        "/api/docs/": page.locator(".swagger-ui .info .title"),
    }
    for path, shown in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(shown).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], (path, violations(page))
        name = path.strip("/").replace("/", "-") or "home"
        screenshot(page, f"csp-{name}")
    assert errors == []


def test_the_tenant_switch_works_without_its_inline_handler(
    page, live_server, tenant_a, tenant_b, make_member, log_in
):
    user = make_member(tenant_a, role="operator", username="otto")
    add_member(tenant=tenant_b, user=user, role="operator")
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, "otto")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tenant A")
    page.get_by_label("Tenant").select_option(label="Tenant B")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tenant B")
    assert violations(page) == []
