"""What a problem is about, in a designer's words: "state 'review'", not ``states[1]``.

A problem keeps its machine path (``states[1].task.form``) for tools and the designer's
graph; people read the element it names (``state 'review'``, ``transition review ->
approved on 'approve'``, ``action 'charge'``) and the field within it. The document may
be malformed, so every lookup here looks before it trusts a value.
"""

from __future__ import annotations

import re
from typing import Any

from .machine import AUTO

_PATH = re.compile(
    r"^(states|transitions)\[(\d+)\](.*)$|^(actions|dependencies|queries)\.([^.[\]]+)(.*)$"
)
_KINDS = {"states": "state", "transitions": "transition", "actions": "action"}
_KINDS["dependencies"] = "dependency"
_KINDS["queries"] = "query"


def transition_words(raw: Any) -> str:
    """``review -> approved on 'approve'`` (the trigger only when it is not ``auto``)."""
    if not isinstance(raw, dict):
        return "(not a transition)"
    words = f"{_text(raw.get('from'))} -> {_text(raw.get('to'))}"
    on = raw.get("on", AUTO)
    return words if on == AUTO else f"{words} on {_text(on, quoted=True)}"


def element_of(document: Any, path: str) -> tuple[str, str]:
    """``(element, field)`` that ``path`` points at: ``("state 'review'", "task.form")``."""
    match = _PATH.match(path)
    if match is None:
        return "the definition", path  # a top-level field ("initial", "key") or the whole
    if match.group(1):
        collection, index, rest = match.group(1), int(match.group(2)), match.group(3)
        listed = document.get(collection) if isinstance(document, dict) else None
        raw = listed[index] if isinstance(listed, list) and index < len(listed) else None
        if collection == "transitions":
            element = f"transition {transition_words(raw)}{_which_of_alike(listed, index)}"
        else:
            name = raw.get("name") if isinstance(raw, dict) else None
            element = f"state {_text(name, quoted=True)}" if _named(name) else f"state {index + 1}"
        return element, rest.lstrip(".")
    collection, name, rest = match.group(4), match.group(5), match.group(6)
    return f"{_KINDS[collection]} '{name}'", rest.lstrip(".")


def _which_of_alike(transitions: Any, index: int) -> str:
    """Say " (2nd of 4)" when other transitions read the same; nothing when alone."""
    if not isinstance(transitions, list) or index >= len(transitions):
        return ""
    words = transition_words(transitions[index])
    alike = [i for i, raw in enumerate(transitions) if transition_words(raw) == words]
    if len(alike) < 2:
        return ""
    place = alike.index(index) + 1
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(place if place < 20 else place % 10, "th")
    return f" ({place}{suffix} of {len(alike)})"


def _named(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _text(value: Any, *, quoted: bool = False) -> str:
    if not _named(value):
        return "?"
    short = value if len(value) <= 60 else value[:57] + "..."
    # A name may hold what no answer can carry (a lone surrogate): shown as "?".
    short = short.encode("utf-8", "replace").decode("utf-8")
    return f"'{short}'" if quoted else short
