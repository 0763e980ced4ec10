"""Inbox search matches the title and the data's values, non-ASCII text included, the
same way on SQLite (these tests) and PostgreSQL (tests/integration/inbox)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from workflow_platform.engine.journal import save_one
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.engine.moves import Move
from workflow_platform.engine.stepping import delta_of
from workflow_platform.tenancy.scoping import all_tenants, tenant_scope
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


def commit_data(instance, data, *, delta: bool = True) -> None:
    """One engine commit that changes a waiting instance's data in place (as a payload
    merged without leaving the state, or a repair, does)."""
    now = timezone.now()
    old, instance.data = instance.data, data
    move = Move(instance=instance)
    move.record(HistoryEvent.Type.EVENT_ACCEPTED, now=now,
                delta=delta_of(old, data) if delta else None)  # fmt: skip
    with transaction.atomic(), all_tenants():
        save_one(move, now=now)


def test_search_follows_data_that_changes_while_the_task_is_open(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group, title="Review C", data={"city": "Lyon"})
    with tenant_scope(tenant_a):
        instance = Instance.objects.get(pk=task.instance_id)
    commit_data(instance, {"city": "Besançon"})
    assert found(tenant_a, otto, "besançon") == ["Review C"]
    assert found(tenant_a, otto, "lyon") == []


def test_a_commit_that_changes_no_data_does_not_reindex(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group, title="Review D", data={"city": "Lyon"})
    with tenant_scope(tenant_a):
        instance = Instance.objects.get(pk=task.instance_id)
    # Without a delta the commit says the data did not change: the index is left alone.
    commit_data(instance, {"city": "Nancy"}, delta=False)
    assert found(tenant_a, otto, "lyon") == ["Review D"]
