"""Choice rules hold as the States Language defines them: a missing or mistyped variable
makes a comparison false, never an error."""

import pytest

from workflow_platform.definitions.asl.choice import matches, rule_holds, rule_problems


@pytest.mark.parametrize(
    ("rule", "data", "holds"),
    [
        ({"Variable": "$.n", "NumericEquals": 1}, {"n": 1.0}, True),
        ({"Variable": "$.n", "NumericLessThan": 1}, {"n": "0"}, False),
        ({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"}, {"n": 2, "m": 2}, True),
        ({"Variable": "$.n", "NumericGreaterThanEqualsPath": "$.m"}, {"n": 2}, False),
        ({"Variable": "$.s", "StringEquals": "a"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringMatches": "log-*.txt"}, {"s": "log-2026.txt"}, True),
        ({"Variable": "$.s", "StringMatches": r"a\*"}, {"s": "ab"}, False),
        ({"Variable": "$.b", "BooleanEquals": True}, {"b": 1}, False),
        (
            {"Variable": "$.t", "TimestampGreaterThan": "2026-01-01T00:00:00Z"},
            {"t": "2026-01-01T01:00:00+00:30"},
            True,
        ),
        ({"Variable": "$.t", "TimestampEquals": "2026-01-01T00:00:00Z"}, {"t": "x"}, False),
        ({"Variable": "$.x", "IsPresent": False}, {}, True),
        ({"Variable": "$.x", "IsPresent": True}, {"x": None}, True),
        ({"Variable": "$.x", "IsNull": True}, {"x": None}, True),
        ({"Variable": "$.x", "IsNull": False}, {}, False),
        ({"Variable": "$.x", "IsNumeric": True}, {"x": True}, False),
        ({"Variable": "$.x", "IsString": True}, {"x": "y"}, True),
        ({"Variable": "$.x", "IsBoolean": True}, {"x": False}, True),
        ({"Variable": "$.x", "IsTimestamp": True}, {"x": "2016-03-14T01:59:00Z"}, True),
        (
            {
                "And": [
                    {"Variable": "$.n", "NumericGreaterThan": 1},
                    {"Not": {"Variable": "$.s", "StringEquals": "x"}},
                ]
            },
            {"n": 2, "s": "y"},
            True,
        ),
        (
            {
                "Or": [
                    {"Variable": "$.n", "NumericGreaterThan": 1},
                    {"Variable": "$.s", "StringEquals": "x"},
                ]
            },
            {"n": 0, "s": "y"},
            False,
        ),
    ],
)
def test_rules(rule, data, holds):
    assert rule_problems(rule, "r") == []
    assert rule_holds(rule, data) is holds


def test_string_matches_escapes():
    assert matches("a*b", r"a\*b") and not matches("axb", r"a\*b")
    assert matches(r"a\b", r"a\\b")


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.n", "NumericEquals": "1"},
        {"Variable": "$.n", "Frobnicate": 1},
        {"Variable": "n", "NumericEquals": 1},
        {"And": []},
        {"Variable": "$.n"},
        {"Variable": "$.t", "TimestampEquals": "yesterday"},
    ],
)
def test_bad_rules_are_located(rule):
    assert rule_problems(rule, "States.C.Choices[0]")


def test_string_matches_takes_no_time_on_hostile_patterns():
    import time

    started = time.monotonic()
    assert not matches("a" * 5000, "*a" * 200 + "b")
    assert matches("x" * 5000 + "b", "*x*x*x*b")
    assert time.monotonic() - started < 2
