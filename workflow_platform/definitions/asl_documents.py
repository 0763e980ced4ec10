"""An Amazon States Language machine's text as a canonical, valid document of ours.

Reading text (JSON or safe YAML, ``interchange``), translating (``asl.importer``) and
validating (``validation``) live here, above the ``asl`` package, because validation
itself uses ``asl``'s runtime pieces (Choice rules, data processing).
"""

from __future__ import annotations

from typing import Any

from .asl.importer import AslError, translate_all
from .bounds import refuse_out_of_bounds
from .interchange import canonical_document, load_text
from .validation import validate_document


def asl_document(text: str | bytes, *, key: str) -> dict[str, Any]:
    """The canonical, valid document of an ASL machine's JSON (or YAML) text.

    Raises ``InvalidInput`` for text that does not parse and ``AslError`` (400,
    ``invalid_asl``, every problem located in ``details``) for a machine that is invalid,
    unsupported, or whose translation our own validation refuses.
    """
    return asl_documents(text, key=key)[0]


def asl_documents(text: str | bytes, *, key: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """:func:`asl_document` and the child documents of its Map and Parallel states
    (children before the parents that run them), each canonical and valid."""
    head = text[:1000].lstrip()
    starts_json = head.startswith("{") if isinstance(head, str) else head.startswith(b"{")
    machine = load_text(text, "json" if starts_json else "yaml")
    refuse_out_of_bounds(machine)  # nesting, numbers, characters: before any walk of it
    document, children = translate_all(machine, key=key)
    return _valid(document), [_valid(child) for child in children]


def _valid(document: dict[str, Any]) -> dict[str, Any]:
    refuse_out_of_bounds(document)
    document = canonical_document(document)
    problems = validate_document(document)
    if problems:
        raise AslError([problem.as_dict() for problem in problems])
    return document
