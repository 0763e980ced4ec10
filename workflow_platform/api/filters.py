"""Filters for values the database must be able to hold: ids within 64 bits, times in UTC.

:func:`check_query_parameters` bounds every query parameter of a list or an object
lookup: the ordering filter (on every view's ``filter_backends``) and the pagination call
it before a query runs. A NUL character (PostgreSQL cannot hold it in text), a name over
100 or a value over ``MAX_QUERY_VALUE_CHARS`` characters is a 400 naming the parameter.

An id filter beyond 64 bits makes SQLite raise ``OverflowError``; a time with an offset
PostgreSQL does not accept (Python allows up to ±23:59, PostgreSQL ±15:59) is a
``psycopg`` error. Both were 500s. :class:`IdFilter` bounds ids and counts to
1..``MAX_ID`` and :class:`UtcDateTimeFilter` takes an ISO 8601 time with any offset and
queries it in UTC; anything else is a 400 naming the parameter.
"""

from __future__ import annotations

from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError

from .numbers import MAX_ID

# Longer than any name, key or cursor the API hands out; short enough to log and compare.
MAX_QUERY_VALUE_CHARS = 2_000
_MAX_NAME_CHARS = 100
MAX_IDEMPOTENCY_KEY_CHARS = 200  # the column's length


def idempotency_key_header(request) -> str:
    """The request's ``Idempotency-Key`` header, stripped ("" when absent); a 400 when
    longer than the column holds."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_CHARS:
        raise ValidationError(
            {"Idempotency-Key": [f"At most {MAX_IDEMPOTENCY_KEY_CHARS} characters."]}
        )
    return key


def check_query_parameters(params) -> None:
    """A 400 naming each query parameter that holds a NUL or is over-long."""
    errors: dict[str, list[str]] = {}
    for name, values in params.lists():
        shown = name.replace("\x00", "\\0")[:_MAX_NAME_CHARS]
        if "\x00" in name or len(name) > _MAX_NAME_CHARS:
            errors[shown] = [
                f"A parameter name has at most {_MAX_NAME_CHARS} characters and no NUL."
            ]
        elif any("\x00" in value for value in values):
            errors[shown] = ["A NUL character is not allowed here."]
        elif any(len(value) > MAX_QUERY_VALUE_CHARS for value in values):
            errors[shown] = [f"At most {MAX_QUERY_VALUE_CHARS} characters."]
    if errors:
        raise ValidationError(errors)


class IdFilter(django_filters.NumberFilter):
    """An integer filter (an id, a number) refused with a 400 outside 1..MAX_ID."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise forms.ValidationError("A time between the years 1 and 9999 in UTC.") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time filter; whatever its offset, the database is asked in UTC."""

    field_class = UtcDateTimeField
