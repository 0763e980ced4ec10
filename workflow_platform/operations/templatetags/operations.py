"""Template filters of the operator pages."""

from __future__ import annotations

import json

from django import template

register = template.Library()


@register.filter
def compact_json(value) -> str:
    """A history event's detail or delta as one line of JSON (escaped by the template)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
