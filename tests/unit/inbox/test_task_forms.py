"""A task's JSON Schema becomes fields, posted strings become typed data, problems show inline."""

from __future__ import annotations

from django.http import QueryDict

from tasks_inbox.forms_schema import form_fields, parse_posted
from workflow_platform.worklist.forms import problems

SCHEMA = {
    "type": "object",
    "properties": {
        "amount": {"type": "integer", "minimum": 1},
        "currency": {"enum": ["EUR", "USD"]},
        "urgent": {"type": "boolean"},
        "note": {"type": "string", "maxLength": 1000},
    },
    "required": ["amount", "currency"],
}


def test_fields_follow_the_schema_types():
    widgets = {f.name: f.widget for f in form_fields(SCHEMA)}
    assert widgets == {
        "amount": "number",
        "currency": "select",
        "urgent": "checkbox",
        "note": "textarea",
    }


def test_posted_strings_become_typed_data():
    data, errors = parse_posted(SCHEMA, QueryDict("amount=12&currency=EUR&urgent=on&note="))
    assert data == {"amount": 12, "currency": "EUR", "urgent": True}
    assert errors == {}


def test_a_non_number_is_a_field_error_not_a_crash():
    _, errors = parse_posted(SCHEMA, QueryDict("amount=twelve"))
    assert errors == {"amount": "Enter a whole number."}


def test_schema_problems_are_reported_per_field():
    found = problems(SCHEMA, {"amount": 0})
    assert found["currency"] == "This field is required."
    assert "minimum" in found["amount"]


def test_a_broken_schema_is_reported_instead_of_raising():
    assert "broken" in problems({"type": "nonsense"}, {})["__all__"]
