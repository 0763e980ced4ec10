"""The side panels' forms check one part of the document and produce its JSON."""

import json

from designer.forms import StateForm, TransitionForm


def state_form(document, original, **data):
    fields = {"name": original, "kind": "normal", "label": "", **data}
    return StateForm(fields, document=document, original=original)


def test_renaming_a_state_onto_another_name_is_refused(loan_document):
    form = state_form(loan_document, "approved", name="received")
    assert not form.is_valid()
    assert "Another state is already called 'received'." in form.errors["name"]


def test_a_human_state_needs_a_title_and_a_valid_form_schema(loan_document):
    form = state_form(loan_document, "approved", kind="human", task_form='{"type": "nonsense"}')
    assert not form.is_valid()
    assert "task title" in form.errors["task_title"][0]
    assert "Not a valid JSON Schema" in form.errors["task_form"][0]


def test_a_valid_state_keeps_its_position_and_gets_its_task(loan_document):
    form = state_form(
        loan_document,
        "received",
        kind="human",
        task_title="Check",
        assign_group="credit",
        task_form='{"type": "object"}',
        due="1d",
    )
    assert form.is_valid(), form.errors
    state = form.to_state(loan_document["states"][0])
    assert state["position"] == {"x": 0, "y": 0}
    assert state["task"] == {
        "title": "Check",
        "assign": {"group": "credit"},
        "form": {"type": "object"},
        "due": "1d",
    }


SKILLED = {
    "name": "triage",
    "kind": "human",
    "position": {"x": 10, "y": 20},
    "task": {
        "title": "Triage {{ data.id }}",
        "assign": {"group": "support", "strategy": "skill", "skill": "german"},
        "escalate_to": {"user": "ada"},
        "due": "4h",
        "x-note": "kept by tools we do not know",
    },
}


def apply_unchanged(state, document=None):
    """Open the panel on ``state`` and press Apply without touching a field."""
    document = document or {"initial": state["name"], "states": [state]}
    initial = StateForm.initial_from(state, document)
    data = {k: "" if v is None else v for k, v in initial.items()}
    data["initial"] = "on" if initial["initial"] else ""
    form = StateForm(data, document=document, original=state["name"])
    assert form.is_valid(), form.errors
    return form.to_state(state)


def test_applying_an_untouched_human_state_changes_nothing():
    assert apply_unchanged(SKILLED) == {**SKILLED, "label": ""}


def test_a_text_rule_stays_a_rule_object_when_applied():
    rule = {
        "field": "ticket.body",
        "rules": [{"keywords": ["refund"], "group": "billing"}],
        "default": {"group": "support"},
    }
    state = {"name": "route", "kind": "human", "task": {"title": "T", "assign": {"rule": rule}}}
    assert apply_unchanged(state)["task"]["assign"] == {"rule": rule}


def test_the_strategy_short_form_is_kept_as_written():
    state = {
        "name": "route",
        "kind": "human",
        "task": {"title": "T", "assign": {"group": "ops", "rule": "least_loaded"}},
    }
    assert apply_unchanged(state)["task"]["assign"] == {"group": "ops", "rule": "least_loaded"}


def test_changing_the_group_keeps_strategy_skill_and_escalation(loan_document):
    initial = StateForm.initial_from(SKILLED, loan_document)
    data = {**{k: "" if v is None else v for k, v in initial.items()}, "assign_group": "care"}
    form = StateForm(data, document=loan_document, original="triage")
    assert form.is_valid(), form.errors
    task = form.to_state(SKILLED)["task"]
    assert task["assign"] == {"group": "care", "strategy": "skill", "skill": "german"}
    assert task["escalate_to"] == {"user": "ada"}
    assert task["x-note"] == "kept by tools we do not know"


def test_a_routing_rule_is_checked_against_the_format(loan_document):
    form = state_form(
        loan_document,
        "received",
        kind="human",
        task_title="T",
        routing_rule='{"field": "body", "rules": [{"sentiment": "furious", "group": "care"}]}',
    )
    assert not form.is_valid()
    assert form.errors["routing_rule"][0].startswith("The text rule at rules[0].sentiment")


def test_a_skill_strategy_needs_a_group_and_a_skill(loan_document):
    form = state_form(loan_document, "received", kind="human", task_title="T", strategy="skill")
    assert not form.is_valid()
    assert "needs the group" in form.errors["strategy"][0]
    assert "which skill" in form.errors["skill"][0]


def test_escalation_goes_to_a_group_or_a_user_not_both(loan_document):
    form = state_form(
        loan_document,
        "received",
        kind="human",
        task_title="T",
        escalate_to_group="leads",
        escalate_to_user="ada",
    )
    assert not form.is_valid()
    assert "not both" in form.errors["escalate_to_user"][0]


def test_a_bad_duration_is_explained(loan_document):
    form = state_form(loan_document, "received", timeout="soon")
    assert not form.is_valid()
    assert "'soon' is not a duration" in form.errors["timeout"][0]


def test_a_guard_that_does_not_parse_is_refused_inline(loan_document):
    data = {"source": "received", "target": "approved", "on": "decide", "when": "data.amount >"}
    form = TransitionForm(data, document=loan_document, original="0")
    assert not form.is_valid()
    assert form.errors["when"][0].startswith("The guard does not parse")


def test_a_transition_drops_empty_fields(loan_document):
    data = {"source": "received", "target": "closed", "on": "auto", "when": "", "action": ""}
    form = TransitionForm(data, document=loan_document, original="0")
    assert form.is_valid(), form.errors
    assert form.to_transition({"from": "x", "to": "y", "when": "old"}) == {
        "from": "received",
        "to": "closed",
        "on": "auto",
    }


def test_the_task_form_keeps_the_order_it_was_written_in(loan_document):
    written = (
        '{"type": "object", "properties": {"reviewer": {"type": "string"}, '
        '"amount": {"type": "number"}, "comment": {"type": "string"}}}'
    )
    form = state_form(
        loan_document, "approved", kind="human", task_title="Check", task_form=written
    )
    assert form.is_valid(), form.errors
    task = form.to_state(loan_document["states"][0])["task"]
    assert task["form"]["x-order"] == ["reviewer", "amount", "comment"]


def test_the_panel_shows_a_stored_form_in_its_recorded_order():
    stored = {  # as it comes back from the database: keys sorted, the order recorded
        "properties": {"amount": {}, "comment": {}, "reviewer": {}},
        "type": "object",
        "x-order": ["reviewer", "amount", "comment"],
    }
    shown = json.loads(
        StateForm.initial_from({"name": "s", "task": {"form": stored}}, {})["task_form"]
    )
    assert list(shown["properties"]) == ["reviewer", "amount", "comment"]
    assert "x-order" not in shown  # the box's own order says it
    partial = {**stored, "x-order": ["comment"]}
    shown = json.loads(
        StateForm.initial_from({"name": "s", "task": {"form": partial}}, {})["task_form"]
    )
    assert list(shown["properties"]) == ["comment", "amount", "reviewer"]
    assert shown["x-order"] == ["comment"]
