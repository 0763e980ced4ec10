"""Imported ASL machines run on the engine with Step Functions' results for the same input."""

import pytest

from tests.factories import reload, start
from workflow_platform.actions.registry import register_callable
from workflow_platform.definitions.asl.importer import translate


@register_callable("asl_tests.add", in_thread=False)
def add(call):
    return call.data["val1"] + call.data["val2"]


@register_callable("asl_tests.echo", in_thread=False)
def echo(call):
    return {"got": call.data}


@pytest.fixture
def run_machine(tenant_a, publish, work):
    def run(machine, data, *, timers=False):
        version = publish(translate(machine, key="asl-run"))
        instance = start(tenant_a, version, data)
        work(timers=timers)
        return reload(tenant_a, instance)

    return run


def test_input_path_task_result_path_and_choice(run_machine):
    machine = {
        "StartAt": "Add",
        "States": {
            "Add": {
                "Type": "Task",
                "Resource": "asl_tests.add",
                "InputPath": "$.numbers",
                "ResultPath": "$.sum",
                "Next": "Big?",
            },
            "Big?": {
                "Type": "Choice",
                "Default": "Small",
                "Choices": [{"Variable": "$.sum", "NumericGreaterThan": 5, "Next": "Big"}],
            },
            "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": True},
        },
    }
    data = {"title": "Numbers to add", "numbers": {"val1": 3, "val2": 4}}
    done = run_machine(machine, data)
    assert done.status == "completed"
    assert done.data == {**data, "sum": 7, "size": "big"}
    small = run_machine(machine, {"numbers": {"val1": 1, "val2": 1}})
    assert small.data["size"] == "small"


def test_parameters_with_intrinsics_and_result_selector(run_machine):
    machine = {
        "StartAt": "Greet",
        "States": {
            "Greet": {
                "Type": "Task",
                "Resource": "asl_tests.echo",
                "Parameters": {
                    "text.$": "States.Format('Hi {}', $.name)",
                    "tags.$": "States.Array($.name, 'x')",
                    "n": 1,
                },
                "ResultSelector": {"greeting.$": "$.got.text", "tags.$": "$.got.tags"},
                "ResultPath": "$.out",
                "OutputPath": "$.out",
                "End": True,
            }
        },
    }
    done = run_machine(machine, {"name": "Ada"})
    assert done.data == {"greeting": "Hi Ada", "tags": ["Ada", "x"]}


def test_catch_puts_the_error_at_its_result_path(run_machine):
    machine = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "fail",
                "Next": "Done",
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}
                ],
            },
            "Recover": {"Type": "Pass", "End": True},
            "Done": {"Type": "Succeed"},
        },
    }
    done = run_machine(machine, {"order": 1})
    assert (done.status, done.state) == ("completed", "end")
    assert done.data["order"] == 1
    assert done.data["error"]["Error"] == "failed_on_purpose"
    assert done.data["error"]["Cause"]


def test_an_uncaught_error_of_another_name_still_fails(run_machine):
    machine = {
        "StartAt": "Charge",
        "States": {
            "Charge": {
                "Type": "Task",
                "Resource": "fail",
                "End": True,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Recover"}],
            },
            "Recover": {"Type": "Succeed"},
        },
    }
    done = run_machine(machine, {})
    assert done.status == "failed" and done.has_incident


def test_no_matching_choice_fails_with_no_choice_matched(run_machine):
    machine = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "StringEquals": "a", "Next": "A"}],
            },
            "A": {"Type": "Succeed"},
        },
    }
    done = run_machine(machine, {"x": 1})
    assert done.status == "failed"
    assert done.last_error.startswith("States.NoChoiceMatched")


def test_fail_state_fails_with_its_error_and_cause(run_machine):
    machine = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "why"}}}
    done = run_machine(machine, {})
    assert (done.status, done.last_error) == ("failed", "E: why")


def test_wait_seconds_then_succeed(run_machine):
    machine = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "S"}, "S": {"Type": "Succeed"}},
    }
    done = run_machine(machine, {"a": 1}, timers=True)
    assert (done.status, done.data) == ("completed", {"a": 1})


def test_a_missing_path_opens_a_states_runtime_incident(run_machine):
    machine = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "InputPath": "$.missing", "End": True}},
    }
    done = run_machine(machine, {})
    assert done.status == "failed" and done.has_incident
    assert "States.Runtime" in done.last_error


def test_hello_world_ends_with_its_text_as_the_output(run_machine):
    machine = {"StartAt": "Hello World",
               "States": {"Hello World": {"Type": "Pass", "Result": "Hello World!",
                                          "End": True}}}  # fmt: skip
    done = run_machine(machine, {"ignored": True})
    assert (done.status, done.data) == ("completed", {"$": "Hello World!"})


def test_a_value_output_is_the_next_states_input(run_machine):
    machine = {
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Pass", "InputPath": "$.items", "Next": "Many?"},
            "Many?": {"Type": "Choice", "Default": "Few",
                      "Choices": [{"Variable": "$[2]", "IsPresent": True, "Next": "Many"}]},
            "Many": {"Type": "Pass", "Result": "many", "End": True},
            "Few": {"Type": "Pass", "Parameters": {"first.$": "$[0]"}, "End": True},
        },
    }  # fmt: skip
    assert run_machine(machine, {"items": [1, 2, 3]}).data == {"$": "many"}
    assert run_machine(machine, {"items": [4]}).data == {"first": 4}


@pytest.mark.parametrize(
    ("wait", "data"),
    [
        ({"Seconds": 0}, {}),
        ({"SecondsPath": "$.delay"}, {"delay": 2}),
        ({"TimestampPath": "$.at"}, {"at": "2020-01-01T00:00:00Z"}),
        ({"Timestamp": "2020-01-01T00:00:00Z"}, {}),
    ],
)
def test_wait_variants_fire_and_keep_the_data(run_machine, wait, data):
    machine = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", **wait, "Next": "S"}, "S": {"Type": "Succeed"}},
    }
    done = run_machine(machine, {**data, "kept": True}, timers=True)
    assert (done.status, done.data) == ("completed", {**data, "kept": True})


@pytest.fixture
def run_fanning(tenant_a, publish, work):
    from workflow_platform.definitions.asl.importer import translate_all

    def run(machine, data):
        document, children = translate_all(machine, key="asl-fan")
        for child in children:
            publish(child)
        version = publish(document)
        instance = start(tenant_a, version, data)
        work(rounds=60)
        return reload(tenant_a, instance)

    return run


def test_map_runs_its_item_processor_per_item_in_order(run_fanning):
    machine = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map", "ItemsPath": "$.order.lines", "MaxConcurrency": 2,
                "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku", "at.$": "$$.Map.Item.Index",
                                 "fixed": 1},
                "ItemProcessor": {"StartAt": "Tag", "States": {
                    "Tag": {"Type": "Pass", "Parameters": {"sku.$": "$.sku", "n.$": "$.at"},
                            "End": True}}},
                "ResultPath": "$.tagged", "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }  # fmt: skip
    data = {"order": {"lines": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]}}
    done = run_fanning(machine, data)
    assert done.status == "completed", done.last_error
    assert done.data == {**data, "tagged": [{"sku": "a", "n": 0}, {"sku": "b", "n": 1},
                                            {"sku": "c", "n": 2}]}  # fmt: skip


def test_map_of_values_without_item_selector(run_fanning):
    machine = {
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "ItemsPath": "$.xs", "End": True,
                            "ItemProcessor": {"StartAt": "Double", "States": {
                                "Double": {"Type": "Pass", "Parameters": {
                                    "v.$": "States.MathAdd($, $)"}, "OutputPath": "$.v",
                                    "End": True}}}}},
    }  # fmt: skip
    done = run_fanning(machine, {"xs": [1, 2, 3]})
    assert (done.status, done.data) == ("completed", {"$": [2, 4, 6]})


def test_parallel_gives_every_branch_the_input_and_collects_outputs(run_fanning):
    machine = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel", "InputPath": "$.order", "ResultPath": "$.checks",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.id",
                                                      "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": {"ok": True},
                                                      "End": True}}},
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }  # fmt: skip
    done = run_fanning(machine, {"order": {"id": "o-7"}})
    assert done.status == "completed", done.last_error
    assert done.data == {"order": {"id": "o-7"}, "checks": ["o-7", {"ok": True}]}


TOKENS: list[dict] = []


@register_callable("asl_tests.take_token", in_thread=False)
def take_token(call):
    TOKENS.append(call.data)
    return {"accepted": True}


def test_wait_for_task_token_resumes_with_the_returned_output(tenant_a, publish, work):
    from workflow_platform.engine.waiting import complete_wait

    machine = {
        "StartAt": "Ask",
        "States": {
            "Ask": {"Type": "Task", "Resource": "asl_tests.take_token.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token", "order.$": "$.order"},
                    "ResultSelector": {"approved.$": "$.ok"}, "ResultPath": "$.answer",
                    "TimeoutSeconds": 3600, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }  # fmt: skip
    TOKENS.clear()
    version = publish(translate(machine, key="asl-token"))
    instance = start(tenant_a, version, {"order": 7})
    work()
    assert reload(tenant_a, instance).status == "waiting"
    (sent,) = TOKENS
    assert sent["order"] == 7 and set(sent) == {"token", "order"}
    complete_wait(token=sent["token"], payload={"ok": True, "noise": 1})
    work()
    done = reload(tenant_a, instance)
    assert (done.status, done.data) == ("completed", {"order": 7, "answer": {"approved": True}})
    from django.core.management import call_command

    call_command("replay_history", "--instance", str(instance.pk))  # exits 1 on a mismatch


def test_an_unreturned_token_times_out_into_its_catcher(tenant_a, publish, work):
    machine = {
        "StartAt": "Ask",
        "States": {
            "Ask": {"Type": "Task", "Resource": "asl_tests.take_token.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token"}, "TimeoutSeconds": 1,
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error",
                               "Next": "Late"}],
                    "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Late": {"Type": "Pass", "End": True},
        },
    }  # fmt: skip
    from datetime import timedelta

    from django.utils import timezone

    from workflow_platform.engine import waiting

    version = publish(translate(machine, key="asl-token-late"))
    instance = start(tenant_a, version, {"a": 1})
    work()
    waiting.run_due(now=timezone.now() + timedelta(seconds=2))  # the waits queue's sweep
    work()
    done = reload(tenant_a, instance)
    assert done.status == "completed", done.last_error
    assert done.data["error"]["Error"] == "States.Timeout" and done.data["a"] == 1
