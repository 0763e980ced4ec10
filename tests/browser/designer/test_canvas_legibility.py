"""The designer's default view of a real workflow is legible: the seed "Order processing"
template (eight states) opens laid out and fitted with labels a person can read."""

from playwright.sync_api import expect

from workflow_platform.definitions.models import Version
from workflow_platform.definitions.templates import install_templates


def test_the_order_processing_template_opens_legible(
    page, live_server, tenant_a, make_member, log_in, screenshot
):
    make_member(tenant_a, role="designer", username="dora")
    install_templates(tenant=tenant_a)
    version = Version.objects.for_tenant(tenant_a).get(definition__key="order-processing")
    log_in(page, "dora")
    page.goto(f"{live_server.url}/designer/versions/{version.pk}/")
    expect(page.get_by_test_id("problem-count")).to_have_text("✓ Valid")
    page.wait_for_function("() => WIDesigner.cy.nodes('[name]').length === 8")
    page.wait_for_timeout(400)  # the fit after the layout
    screenshot(page, "designer-order-processing")
    view = page.evaluate(
        """() => {
            const cy = WIDesigner.cy, box = cy.container().getBoundingClientRect();
            const inside = cy.nodes('[name]').every((n) => {
                const b = n.renderedBoundingBox({ includeLabels: true });
                return b.x1 >= -1 && b.y1 >= -1 && b.x2 <= box.width + 1 && b.y2 <= box.height + 1;
            });
            return { zoom: cy.zoom(), inside: inside };
        }"""
    )
    # 13 px labels at this zoom are at least ~10.5 px on screen; every state is in view.
    assert view["zoom"] >= 0.8, view
    assert view["inside"], view
