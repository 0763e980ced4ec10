"""JSON and YAML text of a definition document, in one canonical form, both ways.

A document is stored in canonical form (:func:`canonical_document`): the known fields
of each part in the order of docs/definition-format.md, and every free-form mapping
(params, forms, child data, the actions and dependencies by name) sorted by key. Export
writes that form; import reads JSON or YAML back to the same dict, so
``import(export(d)) == d`` and exporting again gives the same text byte for byte.
YAML is read with a safe loader that refuses anchors and aliases (a "billion laughs"
document would expand enormously) and keeps dates as text, so YAML and JSON describe the
same JSON values.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Hashable
from typing import Any

import yaml

from workflow_platform.errors import InvalidInput

from .bounds import refuse_out_of_bounds
from .form_schemas import record_field_orders
from .validation import MAX_DOCUMENT_BYTES

FORMATS = ("json", "yaml")
# Text larger than this is refused before parsing (YAML is wordier than JSON).
MAX_TEXT_BYTES = 2 * MAX_DOCUMENT_BYTES

_ORDER: dict[str, tuple[str, ...]] = {
    "document": (
        "format",
        "key",
        "name",
        "description",
        "initial",
        "states",
        "transitions",
        "actions",
        "dependencies",
        "queries",
    ),
    "state": (
        "name",
        "kind",
        "label",
        "timeout",
        "task",
        "wait",
        "parallel",
        "error",
        "position",
    ),
    "task": ("title", "assign", "form", "due", "escalate_to", "priority"),
    "wait": ("poll", "interval", "backoff", "max_interval", "deadline"),
    "parallel": (
        "branches",
        "map_over",
        "workflow",
        "item_as",
        "concurrency",
        "join",
        "n",
        "on_failure",
        "results_to",
    ),
    "branch": ("name", "workflow", "data"),
    "position": ("x", "y"),
    "transition": (
        "from",
        "to",
        "on",
        "when",
        "choice",
        "errors",
        "action",
        "order",
        "after",
        "at",
        "label",
        "asl",
    ),
    "asl": (
        "result_key",
        "input_path",
        "parameters",
        "result",
        "result_selector",
        "result_path",
        "output_path",
    ),
    "error": ("code", "cause"),
    "action": (
        "type",
        "params",
        "dependency",
        "timeout",
        "retry",
        "compensation",
        "result_to",
        "result_map",
        "idempotent",
    ),
    "retry": (
        "max_attempts",
        "initial_interval",
        "backoff",
        "max_interval",
        "jitter",
        "non_retryable",
    ),
    "dependency": ("rate_limit", "circuit_breaker", "concurrency"),
    "rate_limit": ("tps", "burst"),
    "circuit_breaker": ("failure_threshold", "recovery_time"),
}
# Which part each known field holds, to canonicalise recursively.
_CHILD_PART = {
    ("state", "task"): "task",
    ("state", "wait"): "wait",
    ("state", "parallel"): "parallel",
    ("state", "position"): "position",
    ("state", "error"): "error",
    ("transition", "asl"): "asl",
    ("action", "retry"): "retry",
    ("dependency", "rate_limit"): "rate_limit",
    ("dependency", "circuit_breaker"): "circuit_breaker",
}


def _sorted(value: Any) -> Any:
    """Free-form JSON: mappings sorted by key, all the way down."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _part(value: Any, part: str) -> Any:
    if not isinstance(value, dict):
        return _sorted(value)
    known = _ORDER[part]
    ordered = {}
    for key in [*(k for k in known if k in value), *sorted(k for k in value if k not in known)]:
        ordered[key] = _child(part, key, value[key])
    return ordered


def _child(part: str, key: str, value: Any) -> Any:
    if (part, key) in _CHILD_PART:
        return _part(value, _CHILD_PART[(part, key)])
    if part == "document" and key in ("states", "transitions") and isinstance(value, list):
        item = "state" if key == "states" else "transition"
        return [_part(v, item) for v in value]
    if part == "document" and key in ("actions", "dependencies") and isinstance(value, dict):
        item = "action" if key == "actions" else "dependency"
        return {name: _part(value[name], item) for name in sorted(value)}
    if part == "parallel" and key == "branches" and isinstance(value, list):
        return [_part(v, "branch") for v in value]
    return _sorted(value)


def canonical_document(document: dict[str, Any]) -> dict[str, Any]:
    """The same document with its keys in canonical order (see module docstring)."""
    return _part(document, "document")


def export_text(document: dict[str, Any], fmt: str = "json") -> str:
    """The canonical text of ``document`` in ``fmt`` ("json" or "yaml")."""
    canonical = canonical_document(document)
    if fmt == "json":
        return json.dumps(canonical, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(
            canonical,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=100,
        )
    raise InvalidInput("unknown_format", f"Export format '{fmt}' is not one of json, yaml.")


def import_text(text: str | bytes, fmt: str = "json") -> dict[str, Any]:
    """Parse JSON or YAML text into a canonical document (not yet validated).

    Raises ``InvalidInput`` with code ``invalid_json`` / ``invalid_yaml`` (with line and
    column), ``text_too_large`` or ``not_an_object``.
    """
    document = load_text(text, fmt)
    refuse_out_of_bounds(document)
    return canonical_document(record_field_orders(document))


def load_text(text: str | bytes, fmt: str = "json") -> dict[str, Any]:
    """JSON or safe YAML text as an object, with the checks of :func:`import_text` but
    not yet in our format (the ASL importer reads machines with it)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("invalid_encoding", "The text is not UTF-8.") from None
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise InvalidInput(
            "text_too_large", f"The text is larger than {MAX_TEXT_BYTES} bytes, the limit."
        )
    if fmt == "json":
        document = _load_json(text)
    elif fmt == "yaml":
        document = _load_yaml(text)
    else:
        raise InvalidInput("unknown_format", f"Import format '{fmt}' is not one of json, yaml.")
    if not isinstance(document, dict):
        raise InvalidInput(
            "not_an_object",
            "A definition is an object (a mapping) at the top; this text reads as "
            f"{_what_it_is(document)} in {fmt.upper()}.",
        )
    return document


def _what_it_is(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single text value (is it JSON or YAML at all?)"
    if value is None:
        return "nothing (null)"
    return "a single value"


def read_json(text: str) -> Any:
    """JSON as a definition (or an API body) may hold it, or ``ValueError`` saying why not.

    Stricter than ``json.loads``: a key twice in one object, ``NaN``/``Infinity``, and a
    number that would not survive reading (``1e309`` reads as infinity, ``1e-400`` as
    0) are refused instead of silently kept, dropped or changed.
    """
    return json.loads(
        text,
        object_pairs_hook=_no_duplicates,
        parse_constant=_reject_constant,
        parse_float=exact_enough_float,
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key '{key[:80]}' appears twice in one object")
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def exact_enough_float(text: str) -> float:
    """``float(text)``, refusing a literal a double turns into infinity or into zero."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large (a double reads it as infinity)")
    if _reads_as_zero(text, value):
        raise ValueError(f"the number {text[:40]} is too small (a double reads it as 0)")
    return value


def _reads_as_zero(text: str, value: float) -> bool:
    """A literal with a non-zero digit before its exponent that a double read as 0."""
    return value == 0.0 and any(digit in "123456789" for digit in text.lower().split("e", 1)[0])


def _load_json(text: str) -> Any:
    try:
        return read_json(text)
    except ValueError as error:  # JSONDecodeError included
        raise InvalidInput("invalid_json", f"Not valid JSON: {readable_reason(error)}.") from None
    except RecursionError:
        raise InvalidInput("invalid_json", "Not valid JSON: it is nested too deeply.") from None


def readable_reason(error: ValueError) -> str:
    """Why a JSON or YAML reader refused a document, without Python's own words.

    Python refuses to read a whole number of more digits than its limit and says so
    in terms of ``sys.set_int_max_str_digits``, which means nothing to an API client;
    a syntax error is its message with where it is, in words.
    """
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} (line {error.lineno}, column {error.colno})"
    if "integer string conversion" in str(error):
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return str(error)


class _Loader(yaml.SafeLoader):
    """Safe YAML without anchors/aliases, dates or duplicate keys."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "anchors and aliases are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        keys: set[str] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"keys must be text, not {key!r}", key_node.start_mark
                )
            if key in keys:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' appears twice", key_node.start_mark
                )
            keys.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if _reads_as_zero(str(node.value), value):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the number {str(node.value)[:40]} is too small (it reads as 0)",
                node.start_mark,
            )
        return value

    def construct_undefined(self, node: yaml.Node) -> Any:
        # PyYAML's own words ("could not determine a constructor for the tag") say
        # nothing to a person; the refusal names the tag and what is allowed instead.
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the tag '{tag[:80]}' is not allowed: a definition holds only text, numbers, "
            "true/false, null, lists and mappings",
            node.start_mark,
        )


_Loader.add_constructor(None, _Loader.construct_undefined)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)

# Dates and times stay text: JSON has no such type. Booleans are YAML 1.2's: only
# true/false, so `on:` (every transition's trigger), `yes`, `no` and `off` stay text
# instead of turning into true/false as YAML 1.1 would have them.
_YAML_1_1_ONLY = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_1_1_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _Dumper(yaml.SafeDumper):
    """Safe YAML that never writes anchors for repeated values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


# YAML reads NEL and the Unicode line/paragraph separators as line breaks and folds them
# into blanks; in double quotes the dumper escapes them, so the text comes back intact.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if any(ch in text for ch in _YAML_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def _load_yaml(text: str) -> Any:
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InvalidInput(
            "invalid_yaml", f"Not valid YAML: {error.problem or error.context}{where}."
        ) from None
    except yaml.YAMLError as error:
        raise InvalidInput("invalid_yaml", f"Not valid YAML: {error}.") from None
    except RecursionError:
        raise InvalidInput("invalid_yaml", "Not valid YAML: it is nested too deeply.") from None
    except ValueError as error:  # a whole number too long to read, from the constructor
        raise InvalidInput("invalid_yaml", f"Not valid YAML: {readable_reason(error)}.") from None
    try:
        json.dumps(document, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidInput(
            "invalid_yaml", "The YAML holds values that JSON cannot (e.g. binary, NaN)."
        ) from None
    return document
