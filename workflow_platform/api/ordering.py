"""``?ordering=`` for every list: only the fields the operation names, else a 400.

DRF's ``OrderingFilter`` silently drops a field it does not know and falls back to the
default order, so a typo looks like a working request. Here an unknown field is a 400
that lists the valid ones, and the schema lists them as an enum (``field`` ascending,
``-field`` descending; several may be given, comma-separated). Ties are broken by id in
the pagination (pagination.py), so every order is total and cursor pages never skip
or repeat rows. Every query parameter is bounded here too (``filters.check_query_parameters``):
this filter is on every view's list, so no NUL or over-long value reaches a query.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from .filters import check_query_parameters


class PlatformOrderingFilter(OrderingFilter):
    def filter_queryset(self, request, queryset, view):
        check_query_parameters(request.query_params)
        return super().filter_queryset(request, queryset, view)

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(repr(t) for t in unknown)}; use "
                        f"{', '.join(valid)} (prefix - for descending)."
                    ]
                }
            )
        return fields

    def get_schema_operation_parameters(self, view):
        fields = [f if isinstance(f, str) else f[0] for f in getattr(view, "ordering_fields", [])]
        default = getattr(view, "ordering", None)
        default = [default] if isinstance(default, str) else list(default or [])
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order by this field (`-` for descending); several may be "
                f"given, comma-separated. Default: `{','.join(default)}`. Ties are broken by id.",
                "schema": {"type": "string", "enum": [t for f in fields for t in (f, f"-{f}")]},
            }
        ]
