"""The side panels' forms check one part of the document and produce its JSON."""

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
        assign_to="group",
        assignee="credit",
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
