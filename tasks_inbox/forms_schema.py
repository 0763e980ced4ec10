"""A human task's form: its JSON Schema rendered as HTML fields and checked on the server.

The schema is the state's ``task.form`` (an object schema). Fields come in the order the
designer wrote them (the form's ``x-order``, see ``definitions.form_schemas``). Posted
strings are turned into the schema's types here, numbers kept as typed (``3`` stays the
integer 3, ``2.50`` the number 2.5); the worklist's one check (``worklist.forms``)
validates the object, and every problem becomes a per-field message the page shows inline.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from workflow_platform.definitions.form_schemas import ordered_field_names

# What a number input sends: JSON's number syntax (no "inf", "nan", "0x10" or "1_000").
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|-?\.\d+([eE][+-]?\d+)?")
# Longer is no amount a person types; refused before int() or float() spend time on it.
_MAX_NUMBER_CHARS = 40


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str  # text | textarea | number | checkbox | select | date | email
    required: bool
    value: Any
    choices: tuple[Any, ...] = ()
    help: str = ""
    error: str = ""
    step: str = "any"


def _widget(spec: dict[str, Any]) -> str:
    kind = spec.get("type", "string")
    if "enum" in spec:
        return "select"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "checkbox"
    if spec.get("format") in ("date", "email"):
        return spec["format"]
    if spec.get("maxLength", 0) > 200 or spec.get("x-widget") == "textarea":
        return "textarea"
    return "text"


def form_fields(
    schema: dict[str, Any], values: dict[str, Any] | None = None, errors: dict | None = None
) -> list[FormField]:
    """The fields to render, in the schema's property order."""
    values = values or {}
    errors = errors or {}
    required = set(schema.get("required", []))
    properties = schema.get("properties") or {}
    fields = []
    for name in ordered_field_names(schema):
        spec = properties[name] if isinstance(properties[name], dict) else {}
        fields.append(
            FormField(
                name=name,
                label=spec.get("title") or name.replace("_", " ").capitalize(),
                widget=_widget(spec),
                required=name in required,
                value=values.get(name, spec.get("default", "")),
                choices=tuple(spec.get("enum", ())),
                help=spec.get("description", ""),
                error=errors.get(name, ""),
                step="1" if spec.get("type") == "integer" else "any",
            )
        )
    return fields


def _number(raw: str, kind: str) -> int | float:
    """``raw`` as JSON would read it: an integer when written as one, else a float.

    Raises ``ValueError`` for anything else, an integer field given a fraction included.
    """
    if len(raw) > _MAX_NUMBER_CHARS:
        raise ValueError(raw)
    if _INTEGER.fullmatch(raw):
        return int(raw)
    if kind == "integer" or not _NUMBER.fullmatch(raw):
        raise ValueError(raw)
    value = float(raw)
    if not math.isfinite(value):  # 1e999: JSON (and the database) has no infinity
        raise ValueError(raw)
    return value


def parse_posted(schema: dict[str, Any], posted) -> tuple[dict[str, Any], dict[str, str]]:
    """Turn posted strings into the schema's types; returns (data, type errors)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        kind = spec.get("type", "string")
        if kind == "boolean":
            data[name] = posted.get(name) in ("on", "true", "1")
            continue
        raw = (posted.get(name) or "").strip()
        if raw == "":
            continue  # absent: "required" reports it if it must be there
        if kind in ("integer", "number"):
            try:
                data[name] = _number(raw, kind)
            except ValueError:
                errors[name] = "Enter a whole number." if kind == "integer" else "Enter a number."
        else:
            data[name] = raw
    return data, errors
