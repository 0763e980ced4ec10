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


ORDERED = {
    "type": "object",
    "properties": {
        "amount": {"type": "number"},
        "comment": {"type": "string"},
        "reviewer": {"type": "string"},
    },
    "x-order": ["reviewer", "amount", "comment"],
}


def test_fields_come_in_the_recorded_order_not_the_mappings():
    assert [f.name for f in form_fields(ORDERED)] == ["reviewer", "amount", "comment"]


def test_a_partial_or_odd_order_lists_the_rest_after_it():
    partial = {**ORDERED, "x-order": ["comment", 7, "ghost", "comment"]}
    assert [f.name for f in form_fields(partial)] == ["comment", "amount", "reviewer"]
    not_a_list = {**ORDERED, "x-order": "reviewer"}
    assert [f.name for f in form_fields(not_a_list)] == ["amount", "comment", "reviewer"]


def test_numbers_are_kept_as_typed():
    schema = {
        "type": "object",
        "properties": {"count": {"type": "integer"}, "amount": {"type": "number"}},
    }
    for posted, expected in (
        ("count=3&amount=3", {"count": 3, "amount": 3}),
        ("count=-12&amount=2.50", {"count": -12, "amount": 2.5}),
        ("count=0&amount=1e3", {"count": 0, "amount": 1000.0}),
    ):
        data, errors = parse_posted(schema, QueryDict(posted))
        assert errors == {}
        assert data == expected
        assert [type(v) for v in data.values()] == [type(v) for v in expected.values()]


def test_what_json_has_no_number_for_is_a_field_error():
    schema = {
        "type": "object",
        "properties": {"count": {"type": "integer"}, "amount": {"type": "number"}},
    }
    for count, amount in (
        ("3.5", "inf"),
        ("1e3", "nan"),
        ("0x10", "1e999"),
        ("1_000", "9" * 41),
        ("9" * 41, "1.5.2"),
    ):
        data, errors = parse_posted(schema, QueryDict(f"count={count}&amount={amount}"))
        assert data == {}
        assert errors == {"count": "Enter a whole number.", "amount": "Enter a number."}
