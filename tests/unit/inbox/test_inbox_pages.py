"""The inbox pages: what each operator sees, and what the buttons do."""

from __future__ import annotations

from django.urls import reverse

from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.worklist.models import HumanTask


def test_inbox_lists_group_tasks_for_members_only(
    client, tenant_a, tenant_b, ops, make_task, make_member
):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group, title="Approve travel costs")
    make_task(tenant_b, title="Globex secret task")
    client.force_login(otto)
    page = client.get(reverse("inbox:index"))
    assert page.status_code == 200
    assert b"Approve travel costs" in page.content
    assert b"Globex secret task" not in page.content
    assert f'id="task-{task.pk}"'.encode() in page.content


def test_another_tenants_task_page_is_not_found(client, tenant_a, tenant_b, ops, make_task):
    _, otto, _ = ops
    foreign = make_task(tenant_b, title="Globex secret task")
    client.force_login(otto)
    assert client.get(reverse("inbox:task", args=[foreign.pk])).status_code == 404


def test_task_page_renders_the_form_decisions_and_states(client, tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    client.force_login(otto)
    page = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert 'name="amount"' in page and 'type="number"' in page
    assert 'value="approve"' in page and 'value="reject"' in page
    assert 'aria-current="step"' in page  # the instance's current state is marked


def test_task_page_carries_the_instance_graph_with_its_current_state(
    client, tenant_a, ops, make_task
):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    client.force_login(otto)
    page = client.get(reverse("inbox:task", args=[task.pk]))
    graph = page.context["graph"]
    assert graph["current"] == "review"
    assert [s["name"] for s in graph["document"]["states"]] == ["review", "paid", "rejected"]
    assert len(graph["document"]["transitions"]) == 2
    assert 'id="instance-graph-data"' in page.content.decode()


def test_claim_button_claims_and_the_row_says_yours(client, tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    client.force_login(otto)
    response = client.post(
        reverse("inbox:act", args=[task.pk, "claim"]), {"revision": task.revision}
    )
    assert response.status_code == 302
    with tenant_scope(tenant_a):
        assert HumanTask.objects.get(pk=task.pk).assignee == otto
    rows = client.get(reverse("inbox:rows"), {"view": "mine"}).content.decode()
    assert "yours" in rows


def test_losing_a_claim_race_shows_who_won(client, tenant_a, ops, make_task):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group)
    seen_revision = task.revision
    client.force_login(olga)
    client.post(reverse("inbox:act", args=[task.pk, "claim"]), {"revision": seen_revision})
    client.force_login(otto)
    response = client.post(
        reverse("inbox:act", args=[task.pk, "claim"]), {"revision": seen_revision}, follow=True
    )
    assert "olga claimed this task first" in response.content.decode()


def test_invalid_form_data_is_shown_inline_and_nothing_completes(client, tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    client.force_login(otto)
    response = client.post(
        reverse("inbox:complete", args=[task.pk]), {"decision": "approve", "amount": "0"}
    )
    assert response.status_code == 422
    assert "less than the minimum" in response.content.decode()
    response = client.post(reverse("inbox:complete", args=[task.pk]), {"decision": "approve"})
    assert "This field is required." in response.content.decode()
    with tenant_scope(tenant_a):
        assert HumanTask.objects.get(pk=task.pk).status == "open"


def test_search_finds_tasks_by_their_instance_data(client, tenant_a, ops, make_task):
    group, otto, _ = ops
    make_task(tenant_a, group=group, title="Review A", data={"vendor": "Zeppelin Air"})
    make_task(tenant_a, group=group, title="Review B", data={"vendor": "Acme Rail"})
    client.force_login(otto)
    rows = client.get(reverse("inbox:rows"), {"view": "groups", "q": "zeppelin"}).content.decode()
    assert "Review A" in rows and "Review B" not in rows


def test_badge_counts_unassigned_and_overdue(client, tenant_a, ops, make_task):
    from datetime import timedelta

    from django.utils import timezone

    group, otto, _ = ops
    make_task(tenant_a, group=group, due_at=timezone.now() - timedelta(minutes=5))
    make_task(tenant_a, group=group)
    client.force_login(otto)
    badge = client.get(reverse("inbox:counts")).content.decode()
    assert "2 unassigned" in badge and "1 overdue" in badge


def test_viewers_see_tasks_without_claim_buttons(client, tenant_a, ops, make_task, make_member):
    make_task(tenant_a, title="Unrouted review")
    vera = make_member(tenant_a, role="viewer", username="vera")
    client.force_login(vera)
    page = client.get(reverse("inbox:index"), {"view": "unassigned"}).content.decode()
    assert "Unrouted review" in page
    assert ">Claim<" not in page and "Claim selected" not in page
