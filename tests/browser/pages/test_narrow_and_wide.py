"""Every main page fits a small phone (360 px), a phone (390 px) and a laptop (1366 px):
nothing wider than the viewport, the navigation and the inbox's "Set away" on screen, wide
tables scrolling in their own box. Screenshots: test-results/screenshots/layout-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import publish_definition, run_until_idle, start
from tests.unit.engine.conftest import nudges  # noqa: F401 - fixture
from workflow_platform.definitions.services import new_draft
from workflow_platform.definitions.templates import install_templates
from workflow_platform.engine.models import Incident, Instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_member, add_to_group
from workflow_platform.worklist.models import HumanTask

WIDTHS = (360, 390, 1366)
NAV = ("Designer", "Inbox", "Instances", "Dependencies", "API", "Admin")

REVIEW = {
    "format": "workflow-island/v1",
    "key": "expense-review",
    "name": "Expense review with a rather long name",
    "initial": "submitted",
    "states": [
        {"name": "submitted"},
        {
            "name": "manager_review",
            "kind": "human",
            "task": {
                "title": "Review expense {{ data.reference }} of {{ data.employee }}",
                "assign": {"group": "ops"},
                "form": {
                    "type": "object",
                    "properties": {
                        "approved_amount": {"type": "number", "title": "Approved amount"},
                        "cost_centre": {"type": "string", "title": "Cost centre"},
                        "comment": {"type": "string", "maxLength": 1000},
                    },
                },
            },
        },
        {"name": "paid", "kind": "final"},
        {"name": "rejected", "kind": "failed"},
    ],
    "transitions": [
        {"from": "submitted", "to": "manager_review", "action": "stamp"},
        {"from": "manager_review", "to": "paid", "on": "approve"},
        {"from": "manager_review", "to": "rejected", "on": "reject"},
    ],
    "actions": {"stamp": {"type": "set", "params": {"set": {"stamped": True}}}},
}


@pytest.fixture
def walk(live_server, tenant_a, tenant_b, make_member, nudges):  # noqa: F811
    """A tenant with seed workflows, a waiting task, an incident; a staff admin of two
    tenants (the widest header: every link and the tenant switcher)."""
    admin = make_member(
        tenant_a, role="admin", username="administrator-with-a-long-name", is_staff=True
    )
    add_member(tenant=tenant_b, user=admin, role="viewer")
    install_templates(tenant=tenant_a)
    add_to_group(tenant=tenant_a, group_name="ops", user=admin)
    version = publish_definition(tenant_a, REVIEW)
    instance = start(
        tenant_a,
        version,
        {"reference": "EXP-2026-000123", "employee": "Maximiliane Oberhollenzer-Schwarz"},
        business_key="expense-EXP-2026-000123-maximiliane",
    )
    run_until_idle()
    draft = new_draft(tenant=tenant_a, definition_id=version.definition_id, user=admin)
    failed = start(tenant_a, version, {"reference": "EXP-2"}, business_key="expense-EXP-2")
    with tenant_scope(tenant_a):
        task = HumanTask.objects.get(instance=instance)
        Instance.objects.filter(pk=failed.pk).update(status="failed", has_incident=True)
        Incident.objects.create(
            tenant=tenant_a, instance_id=failed.pk, state="submitted", step=1, action="stamp",
            attempt=5, code="http_503",
            message="payment-gateway answered 503 Service Unavailable five times in a row",
        )  # fmt: skip
    return {
        "home": "/",
        "inbox": "/inbox/",
        "task": f"/inbox/tasks/{task.pk}/",
        "designer": "/designer/",
        "editor": f"/designer/versions/{version.pk}/",
        "draft": f"/designer/versions/{draft.pk}/",
        "instances": "/operations/instances/",
        "instance": f"/operations/instances/{instance.pk}/",
        "incident": f"/operations/instances/{failed.pk}/",
        "dependencies": "/operations/dependencies/",
        "not-found": "/inbox/tasks/999999/",
    }


def assert_fits(page, width: int, name: str) -> None:
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"


def assert_on_screen(locator, width: int) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (locator, box)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_main_page_fits_the_screen(page, live_server, log_in, walk, screenshot, width):
    page.set_viewport_size({"width": width, "height": 860})
    page.goto(f"{live_server.url}/accounts/login/")
    assert_fits(page, width, "login")
    screenshot(page, f"layout-{width}-login")
    log_in(page, "administrator-with-a-long-name")
    missing = []  # the favicon included: no page asks for anything that is not there
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    failures = []
    for name, path in walk.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        try:
            assert_fits(page, width, name)
            nav = page.get_by_role("navigation", name="Main")
            for link in NAV:
                assert_on_screen(nav.get_by_role("link", name=link, exact=True), width)
            assert_on_screen(page.get_by_role("button", name="Log out"), width)
            if name == "inbox":
                assert_on_screen(page.get_by_role("button", name="Set away"), width)
                assert_on_screen(page.get_by_label("Away until"), width)
        except AssertionError as failure:
            failures.append(f"{name}: {failure}")
        screenshot(page, f"layout-{width}-{name}")
    assert failures == []
    assert missing == [f"{live_server.url}{walk['not-found']}"]


def test_a_wide_table_scrolls_inside_its_box_on_a_phone(page, live_server, log_in, walk):
    page.set_viewport_size({"width": 390, "height": 860})
    log_in(page, "administrator-with-a-long-name")
    page.goto(f"{live_server.url}{walk['incident']}")
    box = page.locator("table.data").first
    sizes = box.evaluate("(t) => ({client: t.clientWidth, scroll: t.scrollWidth})")
    assert sizes["scroll"] > sizes["client"]  # wider than the screen: it scrolls itself
    assert_fits(page, 390, "incident")
