"""Whole numbers read from URLs and headers: ASCII digits only, within a column's range.

``str.isdigit()`` is true for ``'²'`` (which ``int()`` refuses: a 500) and for
Arabic-Indic digits (which ``int()`` silently accepts), and an id beyond 64 bits makes
SQLite raise ``OverflowError``. So every number the API reads from a query parameter or
a header goes through :func:`whole_number`; filters use ``filters.IdFilter``, bounded by
the same ``MAX_ID``. Anything else is a 400.
"""

from __future__ import annotations

# The widest integer column on PostgreSQL (bigint) and SQLite (INTEGER): 2**63 - 1.
MAX_ID = 9_223_372_036_854_775_807
_MAX_DIGITS = len(str(MAX_ID))


def whole_number(raw: str | None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """``raw`` as an int when it is ASCII digits from ``minimum`` to ``maximum``, else None."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > _MAX_DIGITS:
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None
