"""Task form schemas, checked like guards: what a designer writes cannot reach the network,
loop forever or freeze the process that validates a decision.

- ``$ref`` resolves inside the form only (``#...``); the validator's registry refuses
  every other URI, so jsonschema's default remote retrieval never runs (SSRF).
- A ``$ref`` may not point at a schema that itself holds a ``$ref``: no chains, so no
  cycle that recurses without consuming data (``{"$defs": {"n": {"$ref": "#/$defs/n"}}}``).
- ``pattern`` (and ``patternProperties``) run on RE2, which matches in linear time, so
  ``^(a+)+$`` cannot backtrack; a pattern RE2 cannot compile (back-references,
  look-arounds) is refused at validation, where the designer sees it.

Depth and size are bounded for the whole document by ``bounds.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NoReturn

import re2
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a refused pattern is a problem we report, not stderr noise


@lru_cache(maxsize=1024)
def _compiled(pattern: str):
    return re2.compile(pattern, _RE2_OPTIONS)


def _linear_pattern(validator, pattern, instance, schema) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = _compiled(pattern).search(instance)
    except re2.error:
        yield ValidationError(f"the pattern {pattern!r} cannot be checked")
        return
    if matched is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _linear_pattern_properties(validator, patterns, instance, schema):
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            try:
                matched = _compiled(pattern).search(name)
            except re2.error:
                yield ValidationError(f"the pattern {pattern!r} cannot be checked")
                return
            if matched is not None:
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


def _no_retrieval(uri: str) -> NoReturn:
    raise NoSuchResource(uri)  # its one field, ``ref``


_FormValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _linear_pattern, "patternProperties": _linear_pattern_properties},
)


def form_validator(form: dict[str, Any]) -> Validator:
    """A validator for decisions on ``form`` that never leaves the form and never backtracks."""
    # referencing declares its attrs classes' __init__ for pyright only (the legacy
    # ``__dataclass_transform__``): mypy does not see ``retrieve``, alias of ``_retrieve``.
    registry = Registry(retrieve=_no_retrieval)  # type: ignore[call-arg]  # pyright-only attrs init
    return _FormValidator(form, registry=registry)


def form_problems(form: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(where in the form, code, message)`` for each unsafe part of ``form``.

    ``form`` is already a valid JSON Schema (callers run ``check_schema`` first, to word
    its errors their own way); this adds what jsonschema itself allows but we do not.
    """
    found = []
    for where, node in _schemas(form):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.extend(_ref_problems(form, where, ref))
        for pattern in _patterns(node):
            try:
                _compiled(pattern)
            except re2.error as error:
                reason = (
                    error.args[0].decode()
                    if error.args and isinstance(error.args[0], bytes)
                    else str(error)
                )
                found.append(
                    (
                        where,
                        "form_unsafe_pattern",
                        f"the pattern {pattern!r} is not allowed: {reason}",
                    )
                )
    return found


def _ref_problems(form: dict[str, Any], where: str, ref: str) -> list[tuple[str, str, str]]:
    if not ref.startswith("#"):
        return [
            (
                where,
                "form_remote_ref",
                f"'$ref' may point only inside the form ('#/...'), not to {ref!r}",
            )
        ]
    target = _pointed(form, ref[1:])
    if target is None:
        return [(where, "form_bad_ref", f"'$ref' {ref!r} points at nothing in the form")]
    if any("$ref" in node for _, node in _schemas(target)):
        return [
            (
                where,
                "form_ref_cycle",
                f"'$ref' {ref!r} points at a schema that holds a '$ref' itself",
            )
        ]
    return []


def _pointed(form: dict[str, Any], pointer: str) -> Any:
    node: Any = form
    for raw in [p for p in pointer.split("/") if p]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _patterns(node: dict[str, Any]) -> list[str]:
    found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        found.extend(node["patternProperties"])
    return found


def _schemas(root: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in ``root`` with its JSON pointer (iteratively; depth is bounded anyway)."""
    stack = [("", root)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            yield where, node
            stack.extend((f"{where}/{key}", value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{where}/{index}", value) for index, value in enumerate(node))


# A form's fields in the order the designer wrote them. JSON objects are unordered (the
# canonical form sorts a form's keys, PostgreSQL's jsonb reorders them), so the order is
# kept as a list of property names under this key, recorded when a document comes in.
FIELD_ORDER = "x-order"


def ordered_field_names(form: Any) -> list[str]:
    """``form``'s top-level property names: those in its ``x-order`` first, in that order,
    then any others in the order the mapping holds them."""
    properties = form.get("properties") if isinstance(form, dict) else None
    if not isinstance(properties, dict):
        return []
    recorded = form.get(FIELD_ORDER)
    names = [n for n in recorded if isinstance(n, str)] if isinstance(recorded, list) else []
    listed = list(dict.fromkeys(n for n in names if n in properties))
    return [*listed, *(name for name in properties if name not in listed)]


def with_field_order(form: Any) -> Any:
    """``form`` with its property order recorded under ``x-order`` unless it says one."""
    if not isinstance(form, dict) or FIELD_ORDER in form:
        return form
    properties = form.get("properties")
    if not isinstance(properties, dict) or len(properties) < 2:
        return form
    return {**form, FIELD_ORDER: list(properties)}


def record_field_orders(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every human task's form order recorded (see ``with_field_order``);
    call it on a document as it arrives, before anything reorders its keys."""
    states = document.get("states")
    if not isinstance(states, list):
        return document
    recorded = []
    for state in states:
        task = state.get("task") if isinstance(state, dict) else None
        if isinstance(task, dict) and isinstance(task.get("form"), dict):
            state = {**state, "task": {**task, "form": with_field_order(task["form"])}}
        recorded.append(state)
    return {**document, "states": recorded}
