"""Filters for values the database must be able to hold: ids within 64 bits, times in UTC.

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

from .numbers import MAX_ID


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
