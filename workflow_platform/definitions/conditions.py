"""The guard language: safe expressions over an instance's data, never ``eval``.

Guards (``when``), timer times (``at``), fan-out lists (``map_over``) and the
``{{ ... }}`` placeholders of titles, URLs and bodies are small expressions such as
``data.total >= 100 and lower(data.country) in ["de", "at"]``. Python's own parser reads
them (``ast.parse``), and a tiny interpreter walks a whitelisted subset of the tree:
literals, the provided root names, key/index access on dicts and lists (a missing key is
``None``; Python attributes are never touched), comparisons, ``and``/``or``/``not``,
arithmetic, ``in`` and a handful of functions. Size, nesting and work are bounded, so a
hostile guard is refused when parsed (condition_syntax.py) or cut off when evaluated
(condition_evaluation.py); the value an evaluation returns and the text a template
renders are capped too. This module is the public face of the language: parse,
evaluate, render. The language is described in docs/definition-format.md ("Guard
language").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .condition_evaluation import Evaluation
from .condition_static import refuse_sure_failure
from .condition_syntax import GUARD_ROOTS, Condition, parse_syntax
from .condition_values import (
    MAX_TOTAL_SIZE,
    MAX_VALUE_SIZE,
    ConditionError,
    format_value,
    size_of,
)

__all__ = [
    "GUARD_ROOTS",
    "Condition",
    "ConditionError",
    "evaluate_condition",
    "format_value",
    "is_true",
    "parse_condition",
    "parse_template",
    "render_template",
]

MAX_TEMPLATE_LENGTH = 10_000
MAX_PLACEHOLDERS = 50


def parse_condition(text: str, *, roots: tuple[str, ...] | None = None) -> Condition:
    """Parse and check ``text``; with ``roots``, only those root names may appear.

    Raises :class:`ConditionError` (code ``invalid_condition``) with the reason and the
    position when the text is not a valid expression, uses something not allowed, or
    has a part that reads no data and can only fail (``10 ** 10 ** 10``: the exponent
    is over the bound whatever the data).
    """
    condition = parse_syntax(text, roots=roots)
    try:
        refuse_sure_failure(condition)
    except ConditionError as exc:
        # Positions are in the text as written (the parser saw it without its blanks).
        lead = len(text) - len(text.lstrip())
        where = None if exc.position is None else exc.position + lead
        raise ConditionError(exc.message, where) from None
    return condition


def evaluate_condition(expr: str | Condition, names: Mapping[str, Any]) -> Any:
    """Evaluate ``expr`` with the root ``names`` (e.g. ``{"data": ..., "event": ...}``).

    Raises :class:`ConditionError` (code ``condition_failed``) when evaluation fails or
    its value is larger than ``MAX_TOTAL_SIZE`` characters (even one read straight from
    the data: the caller would copy it into the instance's data, a request or a text),
    and (code ``condition_too_costly``) when it exceeds its budget.
    """
    value = _evaluate(expr, names)
    if size_of(value, MAX_TOTAL_SIZE) > MAX_TOTAL_SIZE:
        raise ConditionError(
            f"the expression's value is larger than {MAX_TOTAL_SIZE} characters",
            code="condition_failed",
        )
    return value


def is_true(expr: str | Condition, names: Mapping[str, Any]) -> bool:
    """A guard holds when its value is truthy (``None``, ``0``, ``""``, ``[]`` do not)."""
    # Only the truth is kept, so a large value read from the data is no copy to cap.
    return bool(_evaluate(expr, names))


def _evaluate(expr: str | Condition, names: Mapping[str, Any]) -> Any:
    condition = expr if isinstance(expr, Condition) else parse_condition(expr)
    return Evaluation(condition.text, names).run(condition.tree.body)


_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def parse_template(text: str, *, roots: tuple[str, ...] | None = None) -> list[Condition]:
    """Check every ``{{ expression }}`` placeholder of ``text``; returns them parsed."""
    if not isinstance(text, str):
        raise ConditionError("a template must be text")
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise ConditionError(f"the text is longer than {MAX_TEMPLATE_LENGTH} characters")
    found = []
    for count, match in enumerate(_PLACEHOLDER.finditer(text), start=1):
        if count > MAX_PLACEHOLDERS:
            raise ConditionError(f"more than {MAX_PLACEHOLDERS} placeholders", match.start())
        try:
            found.append(parse_condition(match.group(1), roots=roots))
        except ConditionError as exc:
            position = match.start(1) + (exc.position or 0)
            raise ConditionError(
                f"in placeholder '{match.group(0)}': {exc.message}", position
            ) from None
    return found


def render_template(text: str, names: Mapping[str, Any]) -> str:
    """Replace each ``{{ expression }}`` in ``text`` by its value (``format_value``).

    Raises :class:`ConditionError` when a placeholder fails or the text would be longer
    than ``MAX_VALUE_SIZE`` characters (50 placeholders of a large value would otherwise
    render 50 copies of it).
    """
    parse_template(text)
    room = MAX_VALUE_SIZE - len(text)

    def fill(match: re.Match) -> str:
        nonlocal room
        value = evaluate_condition(match.group(1), names)
        # Measured before formatting, then counted exactly (JSON escapes can grow text).
        filled = format_value(value) if size_of(value, room) <= room else None
        if filled is None or len(filled) > room:
            raise ConditionError(
                f"the rendered text would be longer than {MAX_VALUE_SIZE} characters",
                match.start(),
                code="condition_failed",
            )
        room -= len(filled)
        return filled

    return _PLACEHOLDER.sub(fill, text)
