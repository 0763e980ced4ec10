"""Hostile definitions (#19): deep nesting, huge numbers, NUL characters, foreign URLs and
form schemas that fetch, recurse or backtrack are a located 4xx, never a 500, and nothing
of them is stored."""

from __future__ import annotations

import copy
import json

import pytest
from django_scopes import scopes_disabled
from referencing.exceptions import Unresolvable

from workflow_platform.definitions.form_schemas import form_problems, form_validator
from workflow_platform.definitions.models import Definition, Version

from .conftest import APPROVAL

PROBLEM = "application/problem+json"


@pytest.fixture
def designer(tenant_a, api_as):
    return api_as(tenant_a, "designer")


def approval(**changes):
    document = copy.deepcopy({"format": "workflow-island/v1", **APPROVAL})
    document.update(changes)
    return document


def create(client, document, key="approval"):
    return client.post(
        "/api/definitions/", {"key": key, "name": "Hostile", "document": document}, format="json"
    )


def assert_refused(response, *words):
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == PROBLEM
    text = json.dumps(response.json())
    for word in words:
        assert word in text, text
    assert not Definition.objects.exists()


def nested(depth):
    value = {}
    for _ in range(depth):
        value = {"x": value}
    return value


def test_a_body_nested_ten_thousand_deep_is_a_400(designer):
    body = '{"key": "approval", "name": "x", "document": ' + "[" * 10_000 + "]" * 10_000 + "}"
    response = designer.post("/api/definitions/", body, content_type="application/json")
    assert_refused(response, "nested")


def test_a_number_too_long_to_read_is_a_400_in_the_clients_words(designer):
    body = '{"key": "approval", "name": "x", "document": {"version": 1' + "0" * 5_000 + "}}"
    response = designer.post("/api/definitions/", body, content_type="application/json")
    assert_refused(response, "a number has more than 4300 digits")
    assert "set_int_max_str_digits" not in response.content.decode()


@pytest.mark.parametrize(
    "document, words",
    [
        ('{"key": "a", "key": "b"}', "the key 'key' appears twice in one object"),
        ('{"budget": 1e-400}', "the number 1e-400 is too small"),
        ('{"budget": NaN}', "NaN is not a JSON number"),
        ('{"budget": 1', "line 1, column"),
    ],
)
def test_a_body_that_json_readers_would_quietly_change_is_a_400(designer, document, words):
    body = '{"key": "approval", "name": "x", "document": ' + document + "}"
    response = designer.post("/api/definitions/", body, content_type="application/json")
    assert_refused(response, words)


def test_action_parameters_nested_200_deep_are_refused_with_their_path(designer):
    document = approval()
    document["states"][0]["on_enter"] = [{"type": "set", "params": nested(200)}]
    assert_refused(create(designer, document), "too_deep", "states[0]")


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["transitions"][0].update(order=10**30),
        lambda d: d["states"][0].update(retry={"max_attempts": 10**400}),
        lambda d: d.update(metadata={"budget": -(10**25)}),
    ],
)
def test_integers_out_of_range_are_refused(designer, change):
    document = approval()
    change(document)
    assert_refused(create(designer, document))


@pytest.mark.parametrize(
    "change, words",
    [
        (
            lambda d: d["transitions"][0].update(order=10**30),
            "transition review -> approved on 'approve' (order): whole numbers",
        ),
        (lambda d: d["states"][1].update(label="a\x00b"), "state 'approved' (label)"),
        (lambda d: d.update(metadata={"budget": -(10**25)}), "the definition (metadata.budget)"),
    ],
)
def test_a_refusal_names_the_element_in_the_designers_words(designer, change, words):
    document = approval()
    change(document)
    problem = create(designer, document).json()
    assert words in problem["detail"], problem
    assert "transitions[" not in problem["detail"] and "states[" not in problem["detail"]
    assert all(entry["path"] for entry in problem["details"]), problem  # tools keep the path


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(description="before\x00after"),
        lambda d: d["states"][1].update(name="appro\x00ved"),
        lambda d: d.update(metadata={"ke\x00y": 1}),
    ],
)
def test_a_nul_character_anywhere_is_refused(designer, change):
    document = approval()
    change(document)
    assert_refused(create(designer, document), "nul_character")


def form_with(form):
    document = approval()
    document["states"][0]["task"]["form"] = form
    return document


@pytest.mark.parametrize(
    "form, code",
    [
        ({"$ref": "http://127.0.0.1:9/probe.json"}, "form_remote_ref"),
        (
            {"type": "object", "properties": {"n": {"$ref": "file:///etc/passwd"}}},
            "form_remote_ref",
        ),
        ({"$defs": {"n": {"$ref": "#/$defs/n"}}, "$ref": "#/$defs/n"}, "form_ref_cycle"),
        (
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "(a)\\1"}}},
            "form_unsafe_pattern",
        ),
    ],
)
def test_hostile_task_forms_do_not_publish(designer, form, code):
    draft = create(designer, form_with(form))
    assert draft.status_code == 201, draft.content
    response = designer.post(f"/api/versions/{draft.json()['id']}/publish/")
    assert response.status_code == 422, response.content
    problems = json.dumps(response.json())
    assert code in problems and "states[0].task.form" in problems, problems
    with scopes_disabled():
        assert Version.objects.get().status == "draft"


def test_a_backtracking_pattern_is_checked_in_linear_time():
    form = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
    assert form_problems(form) == []
    errors = list(form_validator(form).iter_errors({"a": "a" * 5000 + "!"}))
    assert [e.path[0] for e in errors] == ["a"]


def test_a_form_validator_never_fetches_a_remote_reference():
    form = {"type": "object", "properties": {"n": {"$ref": "http://127.0.0.1:9/x.json"}}}
    with pytest.raises(Unresolvable):
        list(form_validator(form).iter_errors({"n": 1}))
