"""The dry run reports every candidate transition with its guard, and the one that fires."""

import pytest

from designer.dry_run import dry_run_step
from workflow_platform.errors import InvalidInput


def test_without_a_trigger_it_lists_the_triggers_of_the_initial_state(loan_document):
    step = dry_run_step(loan_document, state=None, trigger=None, data={})
    assert step["state"] == "received"
    assert step["triggers"] == ["decide"]
    assert step["fires"] is None


def test_the_first_guard_that_holds_fires(loan_document):
    step = dry_run_step(loan_document, state="received", trigger="decide", data={"amount": 5000})
    assert [(c["to"], c["guard"], c["fires"]) for c in step["candidates"]] == [
        ("approved", False, False),
        ("rejected", True, True),
    ]
    assert step["fires"] == {"index": 1, "to": "rejected"}


def test_a_guard_that_fails_to_evaluate_is_shown_not_raised(loan_document):
    loan_document["transitions"][0]["when"] = "data.amount + 'x' > 1"
    step = dry_run_step(loan_document, state="received", trigger="decide", data={"amount": 1})
    first = step["candidates"][0]
    assert first["guard"] is None and first["error"]
    assert step["fires"] is None


def test_auto_transitions_without_guards_fire(loan_document):
    step = dry_run_step(loan_document, state="approved", trigger="auto", data={})
    assert step["fires"] == {"index": 2, "to": "closed"}


def test_an_unknown_state_is_a_clear_error(loan_document):
    with pytest.raises(InvalidInput, match="no state called 'limbo'"):
        dry_run_step(loan_document, state="limbo", trigger=None, data={})


def test_a_document_too_broken_to_run_is_a_clear_error(loan_document):
    loan_document["transitions"][0]["order"] = "first"
    with pytest.raises(InvalidInput, match="fix the listed problems first"):
        dry_run_step(loan_document, state=None, trigger="decide", data={})
    del loan_document["states"][0]["name"]
    with pytest.raises(InvalidInput, match="fix the listed problems first"):
        dry_run_step(loan_document, state=None, trigger=None, data={})


def test_asl_choice_rules_are_evaluated_in_the_dry_run():
    from workflow_platform.definitions.asl.importer import translate

    document = translate(
        {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Default": "Small",
                  "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}]},
            "Big": {"Type": "Succeed"}, "Small": {"Type": "Succeed"}}},
        key="c",
    )  # fmt: skip
    step = dry_run_step(document, state="C", trigger="auto", data={"n": "text"})
    assert step["candidates"][0]["guard"] is False
    assert step["fires"]["to"] == "Small"
    step = dry_run_step(document, state="C", trigger="auto", data={"n": 9})
    assert step["fires"]["to"] == "Big"
