"""Inbox search matches the title and the data's values, non-ASCII text included, the
same way on SQLite (these tests) and PostgreSQL (tests/integration/inbox)."""

from __future__ import annotations

import pytest

from workflow_platform.engine.models import Instance
from workflow_platform.engine.signals import instance_changed
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.worklist.selectors import inbox_tasks


def found(tenant, user, query: str) -> list[str]:
    tasks = inbox_tasks(tenant, user, admin=False, view="groups", query=query)
    return sorted(task.title for task in tasks)


@pytest.fixture
def searchable(tenant_a, ops, make_task):
    group, otto, _ = ops
    make_task(tenant_a, group=group, title="Prüfung Zoë", data={"customer": "Jürgen Weiß"})
    make_task(tenant_a, group=group, title="Review B", data={"vendor": "Acme", "n": 4711})
    return otto


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("jürgen", ["Prüfung Zoë"]),
        ("JÜRGEN WEISS", ["Prüfung Zoë"]),  # case-folded: ß matches ss, Ü matches ü
        ("prüfung", ["Prüfung Zoë"]),
        ("zoë", ["Prüfung Zoë"]),
        ("acme", ["Review B"]),
        ("4711", ["Review B"]),
    ],
)
def test_search_matches_titles_and_data_values_in_any_script_and_case(
    tenant_a, searchable, query, titles
):
    assert found(tenant_a, searchable, query) == titles


def test_search_does_not_match_the_names_of_data_keys(tenant_a, searchable):
    assert found(tenant_a, searchable, "vendor") == []
    assert found(tenant_a, searchable, "customer") == []


def test_search_follows_data_that_changes_while_the_task_is_open(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group, title="Review C", data={"city": "Lyon"})
    with tenant_scope(tenant_a):
        instance = Instance.objects.get(pk=task.instance_id)
        instance.data = {"city": "Besançon"}
        instance.save()
        instance_changed.send(sender=Instance, instance=instance, change="transitioned")
    assert found(tenant_a, otto, "besançon") == ["Review C"]
    assert found(tenant_a, otto, "lyon") == []
