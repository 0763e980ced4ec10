"""A human task's form: its JSON Schema rendered as HTML fields and checked on the server.

The schema is the state's ``task.form`` (an object schema). Posted strings are turned
into the schema's types here; the worklist's one check (``worklist.forms``) validates
the object, and every problem becomes a per-field message the page shows inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    fields = []
    for name, spec in (schema.get("properties") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
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
        try:
            if kind == "integer":
                data[name] = int(raw)
            elif kind == "number":
                data[name] = float(raw)
            else:
                data[name] = raw
        except ValueError:
            errors[name] = "Enter a whole number." if kind == "integer" else "Enter a number."
    return data, errors
