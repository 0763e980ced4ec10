"""ASL input and output processing gives Step Functions' results (the specification's
examples, https://states-language.net/spec.html, "Input and Output Processing")."""

import pytest

from workflow_platform.definitions.asl.paths import PathError, put, select
from workflow_platform.definitions.asl.processing import (
    ProcessingError,
    check_block,
    effective_input,
    state_output,
    transition_output,
)

NUMBERS = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}


def test_input_path_and_result_path_place_the_sum_beside_the_input():
    block = {"input_path": "$.numbers", "result_path": "$.sum"}
    assert effective_input(block, NUMBERS) == {"val1": 3, "val2": 4}
    assert state_output(block, NUMBERS, 7) == {**NUMBERS, "sum": 7}


def test_parameters_select_by_index_and_slice():
    block = {
        "parameters": {"flagged": True, "parts": {"first.$": "$.vals[0]", "last3.$": "$.vals[-3:]"}}
    }
    data = {"flagged": 7, "vals": [0, 10, 20, 30, 40, 50]}
    assert effective_input(block, data) == {
        "flagged": True,
        "parts": {"first": 0, "last3": [30, 40, 50]},
    }


def test_result_selector_then_result_path():
    result = {
        "resourceType": "elasticmapreduce",
        "resource": "createCluster.sync",
        "output": {"SdkHttpMetadata": {"HttpStatusCode": 200}, "ClusterId": "AKIAIOSFODNN7EXAMPLE"},
    }
    block = {
        "result_selector": {
            "ClusterId.$": "$.output.ClusterId",
            "ResourceType.$": "$.resourceType",
        },
        "result_path": "$.EMROutput",
    }
    out = state_output(block, {"a": 1}, result)
    assert out == {
        "a": 1,
        "EMROutput": {"ClusterId": "AKIAIOSFODNN7EXAMPLE", "ResourceType": "elasticmapreduce"},
    }


def test_result_path_null_discards_the_result_and_output_path_filters():
    assert state_output({"result_path": None}, {"a": 1}, {"b": 2}) == {"a": 1}
    block = {"result_path": "$.r", "output_path": "$.r"}
    assert state_output(block, {"a": 1}, {"b": 2}) == {"b": 2}


def test_result_path_dollar_replaces_the_input():
    assert state_output({}, {"a": 1}, {"b": 2}) == {"b": 2}


def test_null_input_path_gives_an_empty_object():
    assert effective_input({"input_path": None}, {"a": 1}) == {}


def test_pass_state_puts_its_result_or_its_effective_input():
    assert state_output({"result": {"x": 1}, "result_path": "$.p"}, {"a": 1}) == {
        "a": 1,
        "p": {"x": 1},
    }
    block = {"parameters": {"b.$": "$.a"}, "result_path": "$.copy"}
    assert state_output(block, {"a": 1}) == {"a": 1, "copy": {"b": 1}}


def test_result_path_creates_missing_objects_and_refuses_a_scalar_on_the_way():
    assert put({"a": 1}, "$.x.y", 2) == {"a": 1, "x": {"y": 2}}
    with pytest.raises(PathError):
        put({"a": 1}, "$.a.b", 2)


def test_a_missing_path_is_a_runtime_error():
    with pytest.raises(ProcessingError) as caught:
        effective_input({"input_path": "$.missing"}, {"a": 1})
    assert caught.value.error == "States.Runtime"


def test_indefinite_paths_select_lists():
    data = {"items": [{"id": 1}, {"id": 2}], "other": {"id": 3}}
    assert select("$.items[*].id", data) == [1, 2]
    assert select("$..id", data) == [1, 2, 3]
    assert select("$['items'][1]['id']", data) == 2
    assert select("$.items[0,1].id", data) == [1, 2]


def test_a_value_that_is_not_an_object_is_kept_under_the_dollar_key_and_read_back():
    assert transition_output({"output_path": "$.n"}, {"n": 1}, None, has_action=False) == {"$": 1}
    with pytest.raises(ProcessingError):
        transition_output({"result_path": "$.x"}, {"$": [1]}, 2, has_action=True)
    wrapped = transition_output({}, {"a": 1}, {"$": 5}, has_action=True)
    assert wrapped == {"$": {"$": 5}}
    assert transition_output({}, wrapped, None, has_action=False) == wrapped


def test_bad_paths_and_unknown_intrinsics_are_located():
    problems = check_block(
        {"input_path": "items", "result_path": "$.a[*]", "parameters": {"x.$": "States.Foo($.a)"}}
    )
    fields = dict(problems)
    assert "input_path" in fields and "result_path" in fields
    assert fields["parameters.x.$"] == "States.Foo: intrinsic not supported"
    assert check_block({"input_path": "$[?(@.a > 1)]"})[0][1].endswith("not supported")
