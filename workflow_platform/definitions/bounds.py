"""Bounds every stored document keeps: nesting depth, number range, characters.

These are checked before a document is canonicalised, stored or validated, with an
explicit stack rather than recursion, so a hostile document (nested thousands deep, an
integer of 400 digits, ``NaN`` or ``Infinity`` (which Python's JSON reader accepts), a
``\\u0000`` or a lone surrogate ``\\ud800`` that PostgreSQL's JSON cannot hold) is a
located refusal instead of a ``RecursionError`` or a ``DataError`` from the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from workflow_platform.errors import InvalidInput

from .document_schema import format_path
from .elements import element_of

MAX_DEPTH = 64
# Integers JSON numbers keep exactly in every client (JavaScript's safe integers).
MAX_INTEGER = 2**53 - 1
MAX_PROBLEMS = 20  # one hostile document is reported, not echoed back in full


def bound_problems(document: Any) -> list[tuple[str, str, str]]:
    """``(path, code, message)`` for each place ``document`` leaves the bounds."""
    found = []
    for problem in _walk(document):
        found.append(problem)
        if len(found) >= MAX_PROBLEMS:
            break
    return found


def refuse_out_of_bounds(document: Any) -> None:
    """Raise ``InvalidInput`` naming the first place ``document`` leaves the bounds.

    The detail names the element as validation problems do ("state 'review' (retry)");
    each entry of ``details`` keeps the machine path beside it for tools.
    """
    found = bound_problems(document)
    if found:
        details = [_located(document, *problem) for problem in found]
        first = details[0]
        where = first["element"] + (f" ({first['field']})" if first["field"] else "")
        raise InvalidInput(
            first["code"],
            f"The document cannot be stored: {where}: {first['message']}.",
            details=details,
        )


def _located(document: Any, path: str, code: str, message: str) -> dict[str, str]:
    element, field = element_of(document, path)
    return {"path": path, "code": code, "message": message, "element": element, "field": field}


def _walk(document: Any) -> Iterator[tuple[str, str, str]]:
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while stack:
        value, parts = stack.pop()
        if len(parts) > MAX_DEPTH:
            yield (
                format_path(parts[:MAX_DEPTH]),
                "too_deep",
                f"values are nested more than {MAX_DEPTH} levels deep here",
            )
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and "\x00" in key:
                    yield (format_path(parts), "nul_character", "a name holds a NUL character")
                    continue
                if isinstance(key, str) and not _encodable(key):
                    yield (format_path(parts), "invalid_character", f"a name {_SURROGATE}")
                    continue
                stack.append((item, (*parts, str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*parts, index)) for index, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            yield (format_path(parts), "nul_character", "the text holds a NUL character")
        elif isinstance(value, str) and not _encodable(value):
            yield (format_path(parts), "invalid_character", f"the text {_SURROGATE}")
        elif isinstance(value, float) and not math.isfinite(value):
            yield (
                format_path(parts),
                "number_out_of_range",
                "numbers must be finite (JSON has no NaN or Infinity, and 1e309 is one)",
            )
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
            yield (
                format_path(parts),
                "number_out_of_range",
                f"whole numbers must lie between -{MAX_INTEGER} and {MAX_INTEGER}",
            )


_SURROGATE = "holds a lone surrogate (half of a character, not text)"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
