"""The published JSON Schema of the definition format, and its errors in plain words.

``docs/definition-format.schema.json`` is the one description of the document's shape:
the designer, importers and outside tools read the same file that the validator loads
here. Each jsonschema error becomes ``(path, code, message)`` with a path such as
``states[2].task.form``; the schema itself names the codes and messages of its leaf
rules (``x-error-codes``, ``x-messages``) so that, for example, a bad duration anywhere
is reported as ``bad_duration``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "definition-format.schema.json"

_DEFAULT_CODES = {
    "required": "missing_field",
    "additionalProperties": "unknown_field",
    "type": "wrong_type",
    "enum": "invalid_choice",
    "const": "invalid_value",
    "pattern": "invalid_format",
    "minimum": "out_of_range",
    "maximum": "out_of_range",
    "exclusiveMinimum": "out_of_range",
    "minLength": "invalid_length",
    "maxLength": "too_long",
    "minItems": "too_few",
    "maxItems": "too_many",
    "minProperties": "too_few",
    "maxProperties": "too_many",
}
_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


@lru_cache(maxsize=1)
def definition_schema() -> dict[str, Any]:
    """The published JSON Schema (docs/definition-format.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text())


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = definition_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def format_path(parts: Iterable[str | int]) -> str:
    """``["states", 2, "task"]`` -> ``states[2].task``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def schema_problems(document: Any) -> Iterator[tuple[str, str, str]]:
    """Every way ``document`` breaks the schema, as ``(path, code, message)``."""
    seen: set[tuple[str, str]] = set()
    for error in _validator().iter_errors(document):
        for path, code, message in _describe(error):
            if (path, code) not in seen:
                seen.add((path, code))
                yield path, code, message


def _describe(error: ValidationError) -> Iterator[tuple[str, str, str]]:
    keyword = error.validator
    parts = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    code = (schema.get("x-error-codes") or {}).get(keyword) or _DEFAULT_CODES.get(
        keyword, "invalid"
    )
    custom = (schema.get("x-messages") or {}).get(keyword)
    if keyword == "required":
        for field in error.validator_value:
            if isinstance(error.instance, dict) and field not in error.instance:
                yield format_path([*parts, field]), code, f"'{field}' is required"
        return
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties") or {})
        for field in error.instance:
            if field not in known:
                yield (
                    format_path([*parts, field]),
                    code,
                    f"'{field}' is not a field here; known fields: {', '.join(sorted(known))}",
                )
        return
    if error.relative_schema_path and "propertyNames" in error.relative_schema_path:
        # A bad key of a mapping (an action or dependency name): point at the key.
        yield (
            format_path([*parts, str(error.instance)]),
            code,
            f"the name {custom or error.message}",
        )
        return
    yield format_path(parts), code, custom or _message(keyword, error)


def _message(keyword: str, error: ValidationError) -> str:
    value = error.validator_value
    if keyword == "type":
        wanted: list[str] = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPE_WORDS.get(w, w) for w in wanted)
    if keyword == "enum":
        return "must be one of: " + ", ".join(str(v) for v in value)
    if keyword == "const":
        return f"must be '{value}'"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"must be {'at least' if keyword == 'minimum' else 'more than'} {value}"
    if keyword == "maximum":
        return f"must be at most {value}"
    if keyword == "maxLength":
        return f"is longer than {value} characters"
    if keyword == "minLength":
        return f"must have at least {value} character(s)"
    if keyword in ("maxItems", "maxProperties"):
        return f"has more than {value} entries (the limit)"
    if keyword in ("minItems", "minProperties"):
        return f"needs at least {value} entr{'y' if value == 1 else 'ies'}"
    if keyword == "pattern":
        return f"'{error.instance}' does not have the expected form"
    return error.message
