"""Pages outside the inbox link and count only the tasks the inbox shows this member:
no link to a 404, no count of tasks every view hides (#19)."""

from __future__ import annotations

from django.urls import reverse

from tests.unit.test_home_page import count_of


def test_the_instance_page_links_only_the_tasks_the_member_can_open(
    client, tenant_a, ops, make_task, make_member
):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group, title="Review the ops thing")
    link = f'<a href="{reverse("inbox:task", args=[task.pk])}">Review the ops thing</a>'
    page = reverse("operations:instance", args=[task.instance_id])
    client.force_login(make_member(tenant_a, username="vera", role="viewer"))
    as_viewer = client.get(page).content.decode()
    assert '<td data-testid="open-task">Review the ops thing</td>' in as_viewer
    assert link not in as_viewer
    client.force_login(otto)
    assert link in client.get(page).content.decode()


def test_the_home_page_counts_the_tasks_the_member_sees_in_the_inbox(
    client, tenant_a, ops, make_task, make_member
):
    group, otto, _ = ops
    for _ in range(3):
        make_task(tenant_a, group=group)
    client.force_login(make_member(tenant_a, username="vera", role="viewer"))
    assert count_of(client.get(reverse("home")).content.decode(), "tasks")[0] == "0"
    client.force_login(otto)
    assert count_of(client.get(reverse("home")).content.decode(), "tasks") == (
        "3",
        "/inbox/?view=groups",
    )
