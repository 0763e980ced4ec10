"""The structural difference between two documents: states, transitions and actions.

States and actions are matched by name. Transitions have no name, so they are matched by
``from → to : on`` (the key the designer shows); several with the same key are paired
in the order they appear. Anything else that differs (name, description, initial,
dependencies) is listed under ``document``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .machine import AUTO


@dataclass
class PartDiff:
    added: list[Any] = field(default_factory=list)
    removed: list[Any] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[Any]]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class DocumentDiff:
    states: PartDiff
    transitions: PartDiff
    actions: PartDiff
    document: list[str]  # top-level fields that changed

    def as_dict(self) -> dict[str, Any]:
        return {
            "states": self.states.as_dict(),
            "transitions": self.transitions.as_dict(),
            "actions": self.actions.as_dict(),
            "document": {"changed": self.document},
        }

    @property
    def is_empty(self) -> bool:
        return not (self.states or self.transitions or self.actions or self.document)


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _by_name(items: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            found.setdefault(item["name"], item)
    return found


def _named_diff(old: dict[str, Any], new: dict[str, Any]) -> PartDiff:
    diff = PartDiff(
        added=[n for n in new if n not in old], removed=[n for n in old if n not in new]
    )
    for name in (n for n in new if n in old):
        fields = (
            _changed_fields(old[name], new[name])
            if isinstance(old[name], dict) and isinstance(new[name], dict)
            else ["*"]
        )
        if old[name] != new[name]:
            diff.changed.append(
                {"name": name, "fields": fields, "old": old[name], "new": new[name]}
            )
    return diff


def transition_key(raw: dict[str, Any]) -> str:
    return f"{raw.get('from')}→{raw.get('to')}:{raw.get('on', AUTO)}"


def _keyed_transitions(items: Any) -> dict[tuple[str, int], dict[str, Any]]:
    keyed: dict[tuple[str, int], dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            key = transition_key(item)
            counts[key] = counts.get(key, 0) + 1
            keyed[(key, counts[key])] = item
    return keyed


def _transition_diff(old_items: Any, new_items: Any) -> PartDiff:
    old, new = _keyed_transitions(old_items), _keyed_transitions(new_items)
    diff = PartDiff()
    for ident, raw in new.items():
        if ident not in old:
            diff.added.append({"key": ident[0], **raw})
        elif old[ident] != raw:
            diff.changed.append(
                {
                    "key": ident[0],
                    "fields": _changed_fields(old[ident], raw),
                    "old": old[ident],
                    "new": raw,
                }
            )
    diff.removed = [{"key": ident[0], **raw} for ident, raw in old.items() if ident not in new]
    return diff


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> DocumentDiff:
    """What changed from ``old`` to ``new`` (either may be malformed; nothing raises)."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    old_actions, new_actions = old.get("actions"), new.get("actions")
    old_actions = old_actions if isinstance(old_actions, dict) else {}
    new_actions = new_actions if isinstance(new_actions, dict) else {}
    parts = ("states", "transitions", "actions")
    return DocumentDiff(
        states=_named_diff(_by_name(old.get("states")), _by_name(new.get("states"))),
        transitions=_transition_diff(old.get("transitions"), new.get("transitions")),
        actions=_named_diff(old_actions, new_actions),
        document=_changed_fields(
            {k: v for k, v in old.items() if k not in parts},
            {k: v for k, v in new.items() if k not in parts},
        ),
    )
