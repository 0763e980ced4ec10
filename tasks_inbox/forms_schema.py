"""A human task's form: its JSON Schema rendered as HTML fields and checked on the server.

The schema is the state's ``task.form`` (an object schema). Posted strings are turned
into the schema's types first, then the whole object is validated with ``jsonschema``;
every problem becomes a per-field message the page shows inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, UnknownType

from workflow_platform.definitions.form_schemas import form_validator
from workflow_platform.errors import Unprocessable

FORM_ERROR = "__all__"


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


def problems(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """Per-field messages for ``data`` against ``schema`` (empty when it is valid)."""
    if not schema:
        return {}
    try:
        Draft202012Validator.check_schema(schema)
        validator = form_validator(schema)
        found = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    except (SchemaError, UnknownType, RecursionError) as error:
        why = getattr(error, "message", None) or str(error).splitlines()[0]
        return {FORM_ERROR: f"This task's form is broken: {why}"}
    messages: dict[str, str] = {}
    for error in found:
        if error.validator == "required":
            name = error.message.split("'")[1] if "'" in error.message else FORM_ERROR
            messages.setdefault(name, "This field is required.")
        else:
            name = str(error.path[0]) if error.path else FORM_ERROR
            messages.setdefault(name, error.message)
    return messages


def validate_decision_data(schema: dict[str, Any], data: dict[str, Any]) -> None:
    """Raise Unprocessable("invalid_task_data") listing every field problem."""
    found = problems(schema, data)
    if found:
        raise Unprocessable(
            "invalid_task_data",
            "The form has errors; fix the marked fields.",
            details=[{"field": name, "message": message} for name, message in found.items()],
        )
