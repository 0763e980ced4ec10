"""ASL machines translate into valid documents; invalid or unsupported ones are refused
with every problem located (the States Language's rules, https://states-language.net)."""

import json

import pytest

from workflow_platform.definitions.asl.importer import AslError, translate
from workflow_platform.definitions.asl_documents import asl_document as import_asl_text
from workflow_platform.definitions.validation import validate_document

HELLO = {
    "Comment": "A Hello World example",
    "StartAt": "Hello World",
    "States": {"Hello World": {"Type": "Pass", "Result": "Hello World!", "End": True}},
}


def problems_of(machine):
    with pytest.raises(AslError) as caught:
        translate(machine, key="m")
    return {(p["path"], p["code"]) for p in caught.value.details}, caught.value


def test_hello_world_becomes_a_valid_laid_out_document():
    document = translate(HELLO, key="hello")
    assert validate_document(document) == []
    assert document["initial"] == "Hello-World"
    assert document["description"] == "A Hello World example"
    names = {s["name"]: s for s in document["states"]}
    assert names["Hello-World"]["label"] == "Hello World"
    assert names["end"]["kind"] == "final"
    assert all("position" in s for s in document["states"])
    assert len({(s["position"]["x"], s["position"]["y"]) for s in document["states"]}) == 2


def test_task_retry_and_timeouts_map_onto_the_action():
    machine = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": "demo.charge_payment",
                "TimeoutSeconds": 20,
                "HeartbeatSeconds": 5,
                "End": True,
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 2,
                        "MaxAttempts": 4,
                        "BackoffRate": 1.5,
                        "MaxDelaySeconds": 30,
                        "JitterStrategy": "FULL",
                    }
                ],
            }
        },
    }
    action = translate(machine, key="m")["actions"]["T"]
    assert action == {
        "type": "python",
        "params": {"callable": "demo.charge_payment"},
        "timeout": "5s",
        "retry": {
            "max_attempts": 5,
            "initial_interval": "2s",
            "backoff": 1.5,
            "jitter": 1.0,
            "max_interval": "30s",
        },
    }
    machine["States"]["T"].pop("Retry")
    assert translate(machine, key="m")["actions"]["T"]["retry"] == {"max_attempts": 1}


def test_http_resources_become_http_actions():
    machine = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {
                    "ApiEndpoint": "https://api.example.com/x",
                    "Method": "post",
                    "RequestBody": {"a.$": "$.a"},
                },
                "End": True,
            }
        },
    }
    action = translate(machine, key="m")["actions"]["Call"]
    assert action["params"] == {
        "method": "POST",
        "url": "https://api.example.com/x",
        "body": "{{ data.RequestBody }}",
    }
    parameters = machine["States"]["Call"]["Parameters"]
    parameters["QueryParameters"] = {"id.$": "$.id", "kind": "x"}
    parameters["Headers"] = {"X-Api-Key": "k"}
    document = translate(machine, key="m")
    assert validate_document(document) == []
    params = document["actions"]["Call"]["params"]
    assert params["query"] == {
        "id": "{{ data.QueryParameters['id'] }}",
        "kind": "{{ data.QueryParameters['kind'] }}",
    }
    assert params["headers"] == {"X-Api-Key": "{{ data.Headers['X-Api-Key'] }}"}
    machine["States"]["Call"] = {"Type": "Task", "Resource": "https://h.example/hook", "End": True}
    assert translate(machine, key="m")["actions"]["Call"]["params"]["url"] == (
        "https://h.example/hook"
    )


def test_wait_variants_become_timers():
    def timer(field, value):
        machine = {"StartAt": "W", "States": {"W": {"Type": "Wait", field: value, "End": True}}}
        transition = translate(machine, key="m")["transitions"][0]
        return transition.get("after") or transition.get("at")

    assert timer("Seconds", 10) == "10s"
    assert timer("Timestamp", "2026-03-14T01:59:00Z") == "timestamp('2026-03-14T01:59:00Z')"
    assert timer("SecondsPath", "$.delay") == "now() + duration(data.delay)"
    assert timer("TimestampPath", "$.at") == "timestamp(data.at)"


@pytest.mark.parametrize(
    ("machine", "where"),
    [
        ({"States": {"A": {"Type": "Succeed"}}}, "StartAt"),
        ({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}, "StartAt"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}, "States.A.Next"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass"}}}, "States.A"),
        ({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}, "States"),
        ({"StartAt": "A", "States": {"A": {"Type": "Bogus"}}}, "States.A.Type"),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}}},
            "States.B",
        ),
        ({"StartAt": "A", "States": {"A": {"Type": "Succeed", "Next": "A"}}}, "States.A.Next"),
        ({"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": []}}}, "States.A.Choices"),
        (
            {
                "StartAt": "A",
                "States": {"A": {"Type": "Wait", "Seconds": 1, "Timestamp": "x", "End": True}},
            },
            "States.A",
        ),
        ({"StartAt": "A", "States": {"A": {"Type": "Task", "End": True}}}, "States.A.Resource"),
        (
            {
                "StartAt": "A",
                "States": {
                    "A": {
                        "Type": "Task",
                        "Resource": "x",
                        "End": True,
                        "Retry": [{"ErrorEquals": ["States.ALL", "E"]}],
                    }
                },
            },
            "States.A.Retry[0].ErrorEquals",
        ),
        (
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "nope", "End": True}}},
            "States.A.InputPath",
        ),
    ],
)
def test_invalid_machines_are_refused_where_they_are_wrong(machine, where):
    problems, error = problems_of(machine)
    assert (where, "invalid_asl") in problems
    assert error.code == "invalid_asl"


def test_unknown_intrinsics_are_located_in_the_message():
    machine = {
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Pass", "Parameters": {"x.$": "States.Foo($.a)"}, "End": True}
        },
    }
    _, error = problems_of(machine)
    assert error.details[0]["message"] == (
        "States.Foo: intrinsic not supported at `States.Check.Parameters.x.$`"
    )


@pytest.mark.parametrize(
    ("state", "where", "says"),
    [
        (
            {
                "Type": "Parallel",
                "End": True,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Fan2"}],
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}],
            },
            "States.Fan.Catch",
            "Catch on a Parallel state is not supported at `States.Fan`",
        ),
        (
            {
                "Type": "Map",
                "End": True,
                "ItemReader": {},
                "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
            },
            "States.Fan.ItemReader",
            "ItemReader on a Map state is not supported",
        ),
        (
            {
                "Type": "Map",
                "End": True,
                "ItemProcessor": {
                    "StartAt": "X",
                    "States": {"X": {"Type": "Task", "Resource": "arn:aws:lambda:x", "End": True}},
                },
            },
            "States.Fan.ItemProcessor.States.X.Resource",
            "an AWS service) is not supported at `States.Fan.ItemProcessor.States.X.Resource`",
        ),
        (
            {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
            "States.Fan.Resource",
            "an AWS service",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "End": True,
            },
            "States.Fan.Resource",
            "integration pattern",
        ),
        (
            {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "End": True},
            "States.Fan.Parameters.id.$",
            "context object",
        ),
        (
            {"Type": "Task", "Resource": "x", "End": True, "Retry": [{"ErrorEquals": ["Custom"]}]},
            "States.Fan.Retry[0].ErrorEquals",
            "particular",
        ),
        (
            {
                "Type": "Choice",
                "InputPath": "$.a",
                "Default": "Fan2",
                "Choices": [{"Variable": "$.b", "IsPresent": True, "Next": "Fan2"}],
            },
            "States.Fan.InputPath",
            "not supported",
        ),
    ],
)
def test_constructs_that_do_not_map_are_refused_not_dropped(state, where, says):
    machine = {"StartAt": "Fan", "States": {"Fan": state, "Fan2": {"Type": "Succeed"}}}
    if "Fan2" not in json.dumps(state):
        machine["States"].pop("Fan2")
    problems, error = problems_of(machine)
    assert (where, "unsupported_asl") in problems
    assert any(says in p["message"] for p in error.details)


def test_state_names_become_valid_unique_names_of_ours():
    machine = {
        "StartAt": "a b",
        "States": {
            "a b": {"Type": "Pass", "Next": "a-b"},
            "a-b": {"Type": "Pass", "Next": "1st"},
            "1st": {"Type": "Pass", "Next": "end"},
            "end": {"Type": "Pass", "End": True},
        },
    }
    document = translate(machine, key="m")
    assert [s["name"] for s in document["states"]] == ["a-b", "a-b-2", "s-1st", "end", "end-2"]
    assert validate_document(document) == []


def test_import_text_reads_json_or_yaml_and_gives_the_canonical_document():
    from_json = import_asl_text(json.dumps(HELLO), key="hello")
    yaml_text = (
        "StartAt: Hello World\nStates:\n  Hello World:\n    Type: Pass\n"
        "    Result: Hello World!\n    End: true\nComment: A Hello World example\n"
    )
    assert import_asl_text(yaml_text, key="hello") == from_json
    assert list(from_json) == [
        "format",
        "key",
        "name",
        "description",
        "initial",
        "states",
        "transitions",
    ]


def test_only_a_failed_state_names_an_error():
    document = translate(HELLO, key="hello")
    document["states"][0]["error"] = {"code": "E"}
    codes = {p.code for p in validate_document(document)}
    assert "error_on_normal_state" in codes


@pytest.mark.parametrize(
    ("machine", "where"),
    [
        ({"StartAt": "A", "Foo": 1, "States": {"A": {"Type": "Succeed"}}}, "Foo"),
        (
            {
                "StartAt": "A",
                "States": {"A": {"Type": "Wait", "Timestamp": "tomorrow", "End": True}},
            },
            "States.A.Timestamp",
        ),
        (
            {
                "StartAt": "A",
                "States": {
                    "A": {
                        "Type": "Choice",
                        "Default": "B",
                        "Choices": [
                            {"Not": {"Variable": "$.a", "IsNull": True, "Next": "B"}, "Next": "B"}
                        ],
                    },
                    "B": {"Type": "Succeed"},
                },
            },
            "States.A.Choices[0].Not.Next",
        ),
    ],
)
def test_more_rules_of_the_specification(machine, where):
    problems, _ = problems_of(machine)
    assert (where, "invalid_asl") in problems


def test_a_machine_nested_too_deeply_is_refused_before_it_is_walked():
    from workflow_platform.errors import InvalidInput

    deep: dict = {}
    for _ in range(500):
        deep = {"a": deep}
    machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": deep, "End": True}}}
    with pytest.raises(InvalidInput) as caught:
        import_asl_text(json.dumps(machine), key="deep")
    assert caught.value.code == "too_deep"


@pytest.mark.parametrize(
    ("state", "where"),
    [
        ({"Type": "Parallel", "Branches": [], "End": True}, "States.A"),
        ({"Type": "Map", "End": True}, "States.A"),
        ({"Type": "Map", "End": True, "MaxConcurrency": -1,
          "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}},
         "States.A.MaxConcurrency"),
    ],
)  # fmt: skip
def test_map_and_parallel_follow_the_specification(state, where):
    problems, _ = problems_of({"StartAt": "A", "States": {"A": state}})
    assert (where, "invalid_asl") in problems


def test_an_invalid_sub_machine_is_located_inside_its_state():
    machine = {"StartAt": "A", "States": {"A": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Nowhere"}}}}}}  # fmt: skip
    problems, error = problems_of(machine)
    assert ("States.A.ItemProcessor.States.X.Next", "invalid_asl") in problems
    assert "`States.A.ItemProcessor.States.X.Next`" in error.details[0]["message"]


def test_map_children_are_their_own_documents_keyed_by_content():
    from workflow_platform.definitions.asl.importer import translate_all

    processor = {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
    machine = {"StartAt": "A", "States": {"A": {"Type": "Map", "End": True,
                                                "ItemProcessor": processor}}}  # fmt: skip
    document, (child,) = translate_all(machine, key="orders")
    assert validate_document(document) == [] and validate_document(child) == []
    spec = document["states"][0]["parallel"]
    assert spec["workflow"] == child["key"] and child["key"].startswith("orders-A-")
    assert child["initial"] == "entry"
    changed = {**processor, "Comment": "changed"}
    machine["States"]["A"]["ItemProcessor"] = changed
    assert translate_all(machine, key="orders")[1][0]["key"] != child["key"]
