"""The task page shows where the instance is: its workflow's graph, read only, with the
current state highlighted."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.factories import publish
from tests.integration.inbox.workflows import EXPENSE
from workflow_platform.engine.services import start_instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask


def test_the_task_page_draws_the_instance_graph_with_the_current_state(
    daphne, sign_in, tenant_a, make_member, screenshot
):
    otto = make_member(tenant_a, username="otto")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    publish(tenant_a, EXPENSE)
    instance = start_instance(tenant=tenant_a, definition_key="expense", data={"purpose": "<b>x"})
    with tenant_scope(tenant_a):
        task = HumanTask.objects.get(instance=instance)

    page = sign_in("otto")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{daphne.url}/inbox/tasks/{task.pk}/")
    expect(page.get_by_test_id("instance-graph")).to_have_attribute("data-ready", "1")
    drawn = page.evaluate(
        """() => ({
            states: WITaskGraph.nodes('[name]').map((n) => n.data('name')).sort(),
            current: WITaskGraph.nodes('.sim-current').map((n) => n.data('name')),
            edges: WITaskGraph.edges('[index]').length,
            movable: WITaskGraph.nodes('[name]').some((n) => n.grabbable()),
        })"""
    )
    assert drawn == {
        "states": ["paid", "rejected", "review"],
        "current": ["review"],
        "edges": 2,
        "movable": False,
    }
    assert errors == []
    screenshot(page, "inbox-task-page-graph")
