"""Cursor pagination for every list: stable pages while rows are being added.

The order comes from the view's ``ordering`` (or the ``ordering`` query parameter, see
``OrderingFilter``); ``limit`` picks the page size (1 to 200, 50 by default). A
``limit`` that is not such a number is a 400, not silently the default.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class PlatformCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200
    ordering = "-id"

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]}
            )
        return int(raw)
