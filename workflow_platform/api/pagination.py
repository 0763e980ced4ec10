"""Cursor pagination for every list: stable pages while rows are being added.

The order comes from the view's ``ordering`` (or the ``ordering`` query parameter, see
``ordering.py``), with ties broken by id so that pages are stable; ``limit`` picks the
page size (1 to 200, 50 by default). A ``limit`` that is not such a number is a 400,
not silently the default. A cursor whose position does not fit the ordering field (one
made up rather than followed), or a number beyond the column's 64 bits (SQLite raises
``OverflowError`` comparing with one), is an invalid cursor (404, DRF's rule), not a 500.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from .filters import check_query_parameters
from .numbers import MAX_ID, whole_number


class PlatformCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = whole_number(raw, minimum=1, maximum=self.max_page_size)
        if size is None:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        properties["next"]["example"] = "https://workflow.example.com/api/tasks/?cursor=cD0zMTQ%3D"
        properties["previous"]["example"] = None
        return paginated

    def get_ordering(self, request, queryset, view):
        """The view's order, made total: ties are broken by id (the last term's way)."""
        ordering = tuple(super().get_ordering(request, queryset, view))
        if not any(term.removeprefix("-") in ("id", "pk") for term in ordering):
            ordering = (*ordering, "-id" if ordering[-1].startswith("-") else "id")
        return ordering

    def paginate_queryset(self, queryset, request, view=None):
        check_query_parameters(request.query_params)  # before the page's query runs
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            name = self.ordering[0].lstrip("-")
            meta = self._model._meta
            field = meta.pk if name == "pk" else meta.get_field(name)
            try:
                position = field.to_python(cursor.position)
            except DjangoValidationError:
                raise NotFound(self.invalid_cursor_message) from None
            if isinstance(position, int) and not -MAX_ID - 1 <= position <= MAX_ID:
                raise NotFound(self.invalid_cursor_message)
        return cursor


class LongListPagination(PlatformCursorPagination):
    """Pages of an instance's own records (its history, the events sent to it), read
    through in bulk: 100 a page by default, up to 500. Subclasses name the ordering."""

    page_size = 100
    max_page_size = 500
