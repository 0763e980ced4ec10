"""ASL export: an imported machine exports to one that imports to the same document, and
what has no ASL form is refused where it is."""

import copy

import pytest

from tests.integration.api.test_asl_import_run import MACHINE
from workflow_platform.definitions.asl.exporter import export
from workflow_platform.definitions.asl.importer import AslError, translate

MACHINES = {
    "every mapped state": MACHINE,
    "waits": {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Wait", "Seconds": 5, "Next": "B"},
            "B": {"Type": "Wait", "Timestamp": "2026-03-14T01:59:00Z", "Next": "C"},
            "C": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "D"},
            "D": {
                "Type": "Wait",
                "TimestampPath": "$.when['at']",
                "OutputPath": "$.x",
                "End": True,
            },
        },
    },
    "choice without default": {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "OutputPath": "$.keep",
                "Choices": [
                    {"Not": {"Variable": "$.x", "IsPresent": True}, "Next": "S"},
                    {"Variable": "$.x", "StringEqualsPath": "$.y", "Next": "S"},
                ],
            },
            "S": {"Type": "Succeed"},
        },
    },
    "tasks": {
        "Comment": "http and python",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {
                    "ApiEndpoint": "https://api.example.com/orders",
                    "Method": "GET",
                    "QueryParameters": {"id.$": "$.id"},
                },
                "ResultSelector": {"body.$": "$"},
                "ResultPath": "$.call",
                "TimeoutSeconds": 30,
                "Next": "Hook",
            },
            "Hook": {
                "Type": "Task",
                "Resource": "https://hooks.example.com/x",
                "Retry": [
                    {
                        "ErrorEquals": ["States.TaskFailed"],
                        "MaxAttempts": 2,
                        "IntervalSeconds": 3,
                        "BackoffRate": 1.5,
                        "MaxDelaySeconds": 20,
                        "JitterStrategy": "FULL",
                    }
                ],
                "Catch": [
                    {"ErrorEquals": ["States.Timeout"], "Next": "Bad"},
                    {"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Bad"},
                ],
                "Next": "Local",
            },
            "Local": {
                "Type": "Task",
                "Resource": "demo.charge_payment",
                "InputPath": None,
                "End": True,
            },
            "Bad": {"Type": "Fail"},
        },
    },
}


@pytest.mark.parametrize("machine", MACHINES.values(), ids=MACHINES.keys())
def test_import_export_import_gives_the_same_document(machine):
    document = translate(copy.deepcopy(machine), key="m")
    exported = export(document)
    assert translate(exported, key="m") == document


def test_an_exported_machine_names_its_states_as_before():
    exported = export(translate(copy.deepcopy(MACHINE), key="m"))
    assert list(exported["States"]) == list(MACHINE["States"])
    assert exported["States"]["Hold"] == {"Type": "Wait", "Seconds": 1, "Next": "Note"}
    assert exported["States"]["Prepare"]["Parameters"] == MACHINE["States"]["Prepare"]["Parameters"]


def test_native_constructs_without_an_asl_form_are_located():
    document = {
        "format": "workflow-island/v1",
        "key": "k",
        "initial": "review",
        "states": [
            {"name": "review", "kind": "human", "task": {"title": "t"}},
            {"name": "check"},
            {"name": "done", "kind": "final"},
        ],
        "transitions": [
            {"from": "review", "to": "check", "on": "approve"},
            {"from": "check", "to": "done", "when": "data.ok", "order": 1},
            {"from": "check", "to": "done"},
        ],
    }
    with pytest.raises(AslError) as caught:
        export(document)
    paths = {(p["path"], p["code"]) for p in caught.value.details}
    assert paths == {("states[0]", "not_exportable"), ("states[1]", "not_exportable")}
    assert "human state" in caught.value.details[0]["message"]


def test_a_native_task_keeps_its_data_and_result_to():
    document = {
        "format": "workflow-island/v1",
        "key": "k",
        "initial": "a",
        "states": [{"name": "a"}, {"name": "b", "kind": "final"}],
        "transitions": [{"from": "a", "to": "b", "action": "go"}],
        "actions": {"go": {"type": "python", "params": {"callable": "noop"}, "result_to": "out"}},
    }
    state = export(document)["States"]["a"]
    assert (state["Resource"], state["ResultPath"], state["Next"]) == ("noop", "$.out", "b")
