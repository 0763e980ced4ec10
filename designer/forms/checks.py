"""What every panel form shares: the part's document context and the field checks.

The name and duration checks follow docs/definition-format.schema.json, so a panel refuses
next to the field what the whole-document validator would refuse later.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms

from workflow_platform.definitions.machine import parse_duration

# The same patterns as docs/definition-format.schema.json, so a panel refuses what the
# validator would.
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
NAME_HELP = "A letter, then letters, digits, _ or - (at most 64)."
DEPENDENCY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")


def check_name(value: str, what: str, pattern: re.Pattern = NAME) -> str:
    if not pattern.match(value):
        raise forms.ValidationError(f"'{value}' is not a valid {what} name. {NAME_HELP}")
    return value


def check_duration(value: str) -> str:
    if value:
        try:
            parse_duration(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
    return value


def json_object(value: str, what: str) -> dict[str, Any]:
    if not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from exc
    if not isinstance(parsed, dict):
        raise forms.ValidationError(f"{what} must be a JSON object {{...}}.")
    return parsed


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) if value else ""


def compact(entries: dict[str, Any]) -> dict[str, Any]:
    """Drop empty optional keys so the document stays as small as people write it."""
    return {k: v for k, v in entries.items() if v not in (None, "", {}, [])}


class DocumentPartForm(forms.Form):
    """Base: knows the whole document and the name the part had before this edit."""

    def __init__(self, *args, document: dict[str, Any], original: str = "", readonly=False, **kw):
        super().__init__(*args, **kw)
        self.document = document
        self.original = original
        if readonly:
            for field in self.fields.values():
                field.disabled = True
