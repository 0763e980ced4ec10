"""Values, functions and errors of the guard language (see conditions.py).

What an expression can compute with: key/index lookup on plain data, arithmetic on
numbers, timestamps and durations, the whitelisted functions, and how a value reads when
it is placed into text. Nothing here reaches a Python object's attributes.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from workflow_platform.errors import InvalidInput

from .machine import parse_duration

MAX_INT_BITS = 256  # arithmetic results beyond this are refused
MAX_SEQUENCE = 10_000  # longest string or list an expression may build
# Characters (about, as JSON) of one value an expression builds, and of a rendered text.
MAX_VALUE_SIZE = 100_000
# Characters of all the values one evaluation builds together, and of the value it returns.
MAX_TOTAL_SIZE = 1_000_000
# round(x, n): n within +-this (Python computes 10**-n: round(5, -10**7) takes seconds).
MAX_ROUND_DIGITS = 100


class ConditionError(InvalidInput):
    """An expression that does not parse, uses something not allowed, or fails to run.

    ``position`` is the 0-based character offset in the expression where known.
    """

    def __init__(self, message: str, position: int | None = None, *, code: str = "") -> None:
        super().__init__(code or "invalid_condition", message, details={"position": position})
        self.position = position


def lookup(container: Any, key: Any) -> Any:
    """Key or index access on plain data; anything else is ``None`` (never ``getattr``)."""
    if isinstance(container, Mapping):
        return container.get(key) if isinstance(key, str | int | float | bool) else None
    in_range = isinstance(key, int) and not isinstance(key, bool)
    if isinstance(container, list | tuple | str) and in_range:
        return container[key] if -len(container) <= key < len(container) else None
    return None


def size_of(value: Any, limit: int) -> int:
    """About how many characters ``value`` takes as JSON, counted no further than ``limit``.

    A shared part counts every time it appears (``[text] * 1000`` is a thousand texts):
    that is what rendering or storing the value costs, whatever it costs in memory. The
    walk stops as soon as the count passes ``limit``, so measuring is cheap too.
    """
    total = 0
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, list | tuple):
            total += len(item) + 2
            if total <= limit:
                pending.extend(item)
        elif isinstance(item, Mapping):
            total += 2 * len(item) + 2
            if total <= limit:
                pending.extend(item.keys())
                pending.extend(item.values())
        else:
            total += 8  # numbers, booleans, null, timestamps: short, whatever their value
        if total > limit:
            return total
    return total


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def arithmetic_ok(op: ast.operator, left: Any, right: Any) -> bool:
    if is_number(left) and is_number(right):
        return True
    # Time arithmetic: a timestamp plus or minus a duration, or the gap between two.
    if isinstance(op, ast.Add | ast.Sub) and isinstance(left, datetime):
        return isinstance(right, timedelta) or (
            isinstance(op, ast.Sub) and isinstance(right, datetime)
        )
    if isinstance(op, ast.Add) and isinstance(left, timedelta) and isinstance(right, datetime):
        return True
    return (
        isinstance(left, timedelta)
        and isinstance(right, timedelta)
        and isinstance(op, ast.Add | ast.Sub)
    )


ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}


def kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "text",
        list: "a list",
        tuple: "a list",
        dict: "a mapping",
        datetime: "a timestamp",
        timedelta: "a duration",
    }.get(type(value), "a value")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ConditionError(f"needs text, not {kind(value)}")
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, list | tuple | dict):
        raise ConditionError("str() takes a single value, not a list or mapping")
    return format_value(value)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def choose(*args: Any) -> Any:
        items = args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else args
        values = [v for v in items if v is not None]
        return pick(values) if values else None

    return choose


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(_text(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _round(value: Any, digits: Any = 0) -> Any:
    if not isinstance(digits, int) or isinstance(digits, bool):
        raise ConditionError("the digits must be a whole number")
    if abs(digits) > MAX_ROUND_DIGITS:
        raise ConditionError(
            f"the digits must lie between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}"
        )
    return round(value, digits) if digits else round(value)


def _duration(value: Any) -> timedelta:
    duration = parse_duration(value)
    if duration is None:
        raise ValueError("no duration")
    return duration


def _contains_function(container: Any, item: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return _text(item) in container
    return item in container


# name -> (function, (min args, max args))
FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[int, int]]] = {
    "len": (lambda v: 0 if v is None else len(v), (1, 1)),
    "lower": (lambda v: _text(v).lower(), (1, 1)),
    "upper": (lambda v: _text(v).upper(), (1, 1)),
    "contains": (_contains_function, (2, 2)),
    "startswith": (lambda v, p: _text(v).startswith(_text(p)), (2, 2)),
    "endswith": (lambda v, p: _text(v).endswith(_text(p)), (2, 2)),
    "abs": (abs, (1, 1)),
    "min": (_extreme(min), (1, 20)),
    "max": (_extreme(max), (1, 20)),
    "sum": (lambda v: sum(x for x in v if x is not None), (1, 1)),
    "round": (_round, (1, 2)),
    "int": (lambda v: int(float(v)) if isinstance(v, str) and "." in v else int(v), (1, 1)),
    "float": (float, (1, 1)),
    "str": (_scalar_text, (1, 1)),
    "bool": (bool, (1, 1)),
    "now": (lambda: datetime.now(UTC), (0, 0)),
    "timestamp": (_timestamp, (1, 1)),
    "duration": (_duration, (1, 1)),
}
FUNCTION_NAMES = tuple(sorted(FUNCTIONS))


def format_value(value: Any) -> str:
    """How a value reads inside text: JSON spellings, ISO timestamps, ``""`` for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g}s"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
