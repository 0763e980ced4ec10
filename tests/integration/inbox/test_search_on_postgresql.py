"""The inbox's search on PostgreSQL matches what it matches on SQLite (tests/unit/inbox):
data values in any script and case, never the data's key names."""

from __future__ import annotations

import pytest

from workflow_platform.worklist.selectors import inbox_tasks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("JÜRGEN WEISS", ["Prüfung Zoë"]),
        ("zoë", ["Prüfung Zoë"]),
        ("4711", ["Review B"]),
        ("customer", []),
        ("50%", []),  # LIKE's wildcards are text in a query
    ],
)
def test_search_on_postgresql_matches_values_in_any_script_and_case(
    tenant_a, ops, make_task, query, titles
):
    group, otto, _ = ops
    make_task(tenant_a, group=group, title="Prüfung Zoë", data={"customer": "Jürgen Weiß"})
    make_task(tenant_a, group=group, title="Review B", data={"vendor": "Acme", "n": 4711})
    tasks = inbox_tasks(tenant_a, otto, admin=False, view="groups", query=query)
    assert sorted(task.title for task in tasks) == titles
