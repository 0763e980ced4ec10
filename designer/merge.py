"""Three-way merge of workflow documents, for a draft that someone else saved meanwhile.

When a save is refused because the stored draft changed (Conflict ``draft_changed``), the
designer offers to merge: the person's edits since they loaded the draft (*base* → *mine*)
are replayed onto the stored draft (*theirs*). States, actions and dependencies are
matched by name, transitions by (from, to, trigger, occurrence) as the version diff
matches them (definitions/diff.py): two transitions that share their ends and trigger
(told apart by their guards) are the first and second of that key, never one. When
both sides changed the same
part differently, theirs is kept and the clash is listed so the person can look at it
before saving. Nothing is saved here: the merged document goes back to the editor.
"""

from __future__ import annotations

from typing import Any

from workflow_platform.definitions.diff import transition_key

SCALARS = ("name", "description", "initial")


def _keyed_transitions(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Transitions by a readable key: ``a→b:go``, then ``a→b:go (2nd)`` for the next one."""
    keyed: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for item in doc.get("transitions") or []:
        if not isinstance(item, dict):
            continue
        key = transition_key(item)
        seen[key] = seen.get(key, 0) + 1
        n = seen[key]
        keyed[key if n == 1 else f"{key} ({n}{_ordinal(n)})"] = item
    return keyed


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _merge_keyed(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any], what: str
) -> tuple[dict[str, Any], list[str]]:
    merged = dict(theirs)
    clashes: list[str] = []
    for key, value in mine.items():
        if key not in base:
            if key in theirs and theirs[key] != value:
                clashes.append(f"{what} '{key}' was added on both sides differently; kept theirs.")
            else:
                merged[key] = value
        elif value != base[key]:
            if key not in theirs:
                clashes.append(
                    f"{what} '{key}' was deleted by them and changed by you; kept yours."
                )
                merged[key] = value
            elif theirs[key] == base[key]:
                merged[key] = value
            elif theirs[key] != value:
                clashes.append(f"{what} '{key}' was changed on both sides; kept theirs.")
    for key in base:
        if key not in mine and key in theirs:
            if theirs[key] == base[key]:
                merged.pop(key)
            else:
                clashes.append(
                    f"{what} '{key}' was deleted by you and changed by them; kept theirs."
                )
    return merged, clashes


def merge_documents(
    base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Return the merged document and the clashes a person should review."""
    merged = dict(theirs)
    clashes: list[str] = []
    for field in SCALARS:
        if mine.get(field) != base.get(field):
            if theirs.get(field) not in (base.get(field), mine.get(field)):
                clashes.append(f"'{field}' was changed on both sides; kept theirs.")
            else:
                merged[field] = mine.get(field)
    by_name = {
        "states": lambda doc: {s["name"]: s for s in doc.get("states") or [] if "name" in s},
        "transitions": _keyed_transitions,
    }
    for part, index in by_name.items():
        result, found = _merge_keyed(index(base), index(mine), index(theirs), part[:-1])
        merged[part] = list(result.values())
        clashes += found
    for part in ("actions", "dependencies"):
        result, found = _merge_keyed(
            base.get(part) or {}, mine.get(part) or {}, theirs.get(part) or {}, part[:-1]
        )
        merged[part] = result
        clashes += found
    return merged, clashes
