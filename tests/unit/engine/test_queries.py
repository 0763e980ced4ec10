"""Queries (#18): a definition's named read-only expressions over an instance's data,
place and history, answered by the engine, the API and the console without disturbing it."""

from __future__ import annotations

import pytest

from tests.factories import reload, start
from workflow_platform.definitions.validation import validate_document
from workflow_platform.engine import services
from workflow_platform.engine.queries import answer_queries
from workflow_platform.errors import NotFound

ORDER = {
    "key": "order",
    "initial": "review",
    "states": [{"name": "review"}, {"name": "packing"}, {"name": "done", "kind": "final"}],
    "transitions": [
        {"from": "review", "to": "packing", "on": "approve"},
        {"from": "packing", "to": "done", "on": "shipped"},
    ],
    "queries": {
        "total_with_tax": "data.total * 1.2",
        "was_reviewed": "contains(history.states, 'packing')",
        "where": "instance.state + ' (' + instance.status + ')'",
        "decisions": "len(history.events)",
        "broken": "data.total / 0",
    },
}


def answers(tenant, instance, name=None) -> dict:
    return {a.name: (a.value, a.error) for a in answer_queries(tenant, instance.pk, name)}


def test_queries_answer_from_data_place_and_history_and_change_nothing(tenant_a, publish, work):
    instance = start(tenant_a, publish(ORDER), {"total": 100})
    work()
    before = reload(tenant_a, instance)
    first = answers(tenant_a, instance)
    assert first["total_with_tax"] == (120.0, "")
    assert first["was_reviewed"] == (False, "")
    assert first["where"] == ("review (waiting)", "")
    assert first["broken"][0] is None and first["broken"][1]  # its error, not a crash
    after = reload(tenant_a, instance)
    assert (after.seq, after.fence, after.updated_at) == (
        before.seq,
        before.fence,
        before.updated_at,
    )
    services.send_event(tenant=tenant_a, instance_id=instance.pk, event="approve")
    work()
    moved = answers(tenant_a, instance)
    assert moved["was_reviewed"] == (True, "") and moved["decisions"] == (1, "")


def test_one_query_by_name_and_an_unknown_name_is_not_found(tenant_a, publish, work):
    instance = start(tenant_a, publish(ORDER), {"total": 10})
    assert answers(tenant_a, instance, "total_with_tax") == {"total_with_tax": (12.0, "")}
    with pytest.raises(NotFound) as missing:
        answer_queries(tenant_a, instance.pk, "nope")
    assert missing.value.code == "query_not_found" and "total_with_tax" in missing.value.message


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("event.amount > 1", "unknown name 'event'"),
        ("data.__class__", "fields starting with '_'"),
        ("data.x >>", "syntax error"),
    ],
)
def test_a_query_is_checked_like_a_guard_when_the_draft_is_validated(expression, words):
    document = {"format": "workflow-island/v1", **ORDER, "queries": {"bad": expression}}
    problems = [p for p in validate_document(document) if p.code == "invalid_query"]
    assert len(problems) == 1 and words in problems[0].message, problems
    assert problems[0].element == "query 'bad'"


def test_the_api_and_the_console_answer_the_queries(client, tenant_a, publish, work, make_member):
    from rest_framework.test import APIClient

    from tests.factories import api_client

    instance = start(tenant_a, publish(ORDER), {"total": 50})
    work()
    viewer = make_member(tenant_a, role="viewer", username="vera")
    api: APIClient = api_client(tenant_a, viewer)
    url = f"/api/instances/{instance.pk}/queries/"
    body = api.get(url).json()["results"]
    assert {a["name"]: a["value"] for a in body}["total_with_tax"] == 60.0
    assert [a["name"] for a in api.get(url, {"name": "where"}).json()["results"]] == ["where"]
    missing = api.get(url, {"name": "nope"})
    assert missing.status_code == 404 and missing.json()["code"] == "query_not_found"
    client.force_login(viewer)
    page = client.get(f"/operations/instances/{instance.pk}/").content.decode()
    assert 'data-testid="queries"' in page and "total_with_tax" in page and "60.0" in page
    assert "Could not answer" in page  # the broken one says so, the page still renders


def test_an_asl_export_refuses_queries_by_name_instead_of_dropping_them():
    from workflow_platform.definitions.asl.exporter import export
    from workflow_platform.definitions.asl.importer import AslError

    document = {"format": "workflow-island/v1", "key": "q", "initial": "done",
                "states": [{"name": "done", "kind": "final"}],
                "queries": {"answer": "data.x"}}  # fmt: skip
    with pytest.raises(AslError) as refused:
        export(document)
    assert "query 'answer' has no Amazon States Language form" in str(refused.value.details)
