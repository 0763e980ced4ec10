"""ASL Choice rules as data-driven guards: checked at import, evaluated when a state runs.

A transition's ``choice`` (docs/definition-format.md) is one Choice Rule of the Amazon
States Language without its ``Next``: a comparison (``Variable`` and one operator such
as ``NumericGreaterThanEquals`` or ``StringMatches``, or its ``...Path`` form comparing
with another path), or ``And``/``Or``/``Not`` over rules. It is data, interpreted here,
never ``eval``ed. Semantics follow the specification: a comparison whose variable is
absent or of another type is false (``IsPresent`` asks about presence), timestamps are
compared as instants, ``StringMatches`` knows ``*`` and the escapes ``\\*``, ``\\\\``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .paths import PathError, parse_path, select
from .values import view

_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_RELATIONS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
COMPARISONS = {f"{kind}{rel}" for kind in _KINDS for rel in _RELATIONS if kind != "Boolean"}
COMPARISONS |= {"BooleanEquals", "StringMatches"}
TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
OPERATORS = COMPARISONS | {f"{name}Path" for name in COMPARISONS - {"StringMatches"}}
MAX_DEPTH = 32
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)


def is_timestamp(value: Any) -> bool:
    return _timestamp(value) is not None


def rule_problems(rule: Any, where: str, depth: int = 0) -> list[tuple[str, str]]:
    """Every problem of ``rule`` as ``(place, message)``; empty when it is sound."""
    if depth > MAX_DEPTH:
        return [(where, f"Choice rules are nested more than {MAX_DEPTH} deep")]
    if not isinstance(rule, dict):
        return [(where, "a Choice rule is an object")]
    if depth > 0 and "Next" in rule:
        return [(f"{where}.Next", "a rule inside And, Or or Not has no Next")]
    logic = [key for key in ("And", "Or", "Not") if key in rule]
    if logic:
        extra = sorted(set(rule) - {*logic, "Next", "Comment"})
        if len(logic) > 1 or extra:
            return [(where, f"{logic[0]} cannot be combined with {', '.join(logic[1:] + extra)}")]
        inner = rule[logic[0]]
        if logic[0] == "Not":
            return rule_problems(inner, f"{where}.Not", depth + 1)
        if not isinstance(inner, list) or not inner:
            return [(f"{where}.{logic[0]}", f"{logic[0]} needs a non-empty list of rules")]
        problems = []
        for index, item in enumerate(inner):
            problems += rule_problems(item, f"{where}.{logic[0]}[{index}]", depth + 1)
        return problems
    if "Variable" not in rule:
        return [(where, "a Choice rule needs a Variable (or And, Or, Not)")]
    problems = []
    try:
        parse_path(rule["Variable"])
    except PathError as error:
        problems.append((f"{where}.Variable", str(error)))
    operators = [key for key in rule if key not in ("Variable", "Next", "Comment")]
    if len(operators) != 1:
        return [*problems, (where, f"a Choice rule needs exactly one operator, not {operators}")]
    operator, operand = operators[0], rule[operators[0]]
    if operator not in OPERATORS and operator not in TYPE_TESTS:
        return [*problems, (f"{where}.{operator}", f"{operator} is not a Choice operator")]
    if operator in TYPE_TESTS or operator == "BooleanEquals":
        if not isinstance(operand, bool):
            problems.append((f"{where}.{operator}", f"{operator} needs true or false"))
    elif operator.endswith("Path"):
        try:
            parse_path(operand)
        except (PathError, TypeError) as error:
            problems.append((f"{where}.{operator}", str(error)))
    elif operator.startswith("Numeric"):
        if not _is_number(operand):
            problems.append((f"{where}.{operator}", f"{operator} needs a number"))
    elif operator.startswith("Timestamp"):
        if _timestamp(operand) is None:
            problems.append((f"{where}.{operator}", f"{operator} needs an RFC 3339 timestamp"))
    elif not isinstance(operand, str):
        problems.append((f"{where}.{operator}", f"{operator} needs a string"))
    return problems


def choice_holds(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether ``rule`` holds for the state input that instance data ``data`` holds."""
    return rule_holds(rule, view(data))


def rule_holds(rule: dict[str, Any], data: Any) -> bool:
    """Whether Choice rule ``rule`` holds for the state's input ``data``."""
    if "And" in rule:
        return all(rule_holds(inner, data) for inner in rule["And"])
    if "Or" in rule:
        return any(rule_holds(inner, data) for inner in rule["Or"])
    if "Not" in rule:
        return not rule_holds(rule["Not"], data)
    operator = next(key for key in rule if key not in ("Variable", "Next", "Comment"))
    present, value = _value(rule["Variable"], data)
    if operator == "IsPresent":
        return present == rule[operator]
    if not present:
        return False
    if operator in TYPE_TESTS:
        return _type_test(operator, value) == rule[operator]
    operand = rule[operator]
    if operator.endswith("Path"):
        operator = operator[: -len("Path")]
        found, operand = _value(operand, data)
        if not found:
            return False
    return _compare(operator, value, operand)


def _value(path: str, data: Any) -> tuple[bool, Any]:
    try:
        value = select(path, data)
    except PathError:
        return False, None
    return True, value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _type_test(operator: str, value: Any) -> bool:
    if operator == "IsNull":
        return value is None
    if operator == "IsNumeric":
        return _is_number(value)
    if operator == "IsString":
        return isinstance(value, str)
    if operator == "IsBoolean":
        return isinstance(value, bool)
    return _timestamp(value) is not None  # IsTimestamp


def _compare(operator: str, value: Any, operand: Any) -> bool:
    if operator == "StringMatches":
        return isinstance(value, str) and matches(value, operand)
    if operator == "BooleanEquals":
        return isinstance(value, bool) and isinstance(operand, bool) and value == operand
    relation = operator.removeprefix("String").removeprefix("Numeric").removeprefix("Timestamp")
    if operator.startswith("String"):
        if not (isinstance(value, str) and isinstance(operand, str)):
            return False
        left, right = value, operand
    elif operator.startswith("Numeric"):
        if not (_is_number(value) and _is_number(operand)):
            return False
        left, right = value, operand
    else:
        left, right = _timestamp(value), _timestamp(operand)  # type: ignore[assignment]
        if left is None or right is None:
            return False
    return {
        "Equals": left == right,
        "LessThan": left < right,
        "GreaterThan": left > right,
        "LessThanEquals": left <= right,
        "GreaterThanEquals": left >= right,
    }[relation]


def matches(text: str, pattern: str) -> bool:
    """``StringMatches``: ``*`` matches any text; ``\\*`` and ``\\\\`` are literal.

    The classic two-pointer wildcard match (at most text length times pattern length
    steps), not a regular expression, so no pattern can make a worker backtrack for long.
    """
    tokens: list[str | None] = []  # None is a star
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            tokens.append(pattern[i + 1])
            i += 2
        else:
            tokens.append(None if pattern[i] == "*" else pattern[i])
            i += 1
    t = p = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(tokens) and tokens[p] is not None and tokens[p] == text[t]:
            t, p = t + 1, p + 1
        elif p < len(tokens) and tokens[p] is None:
            star, resume = p, t
            p += 1
        elif star >= 0:
            p, resume = star + 1, resume + 1
            t = resume
        else:
            return False
    while p < len(tokens) and tokens[p] is None:
        p += 1
    return p == len(tokens)
