"""What an instance holds between commits: the typed ``Instance.pending`` value.

A transition chosen but not yet taken (an event, a decision, a timer, a wait's end, a
join), a subworkflow child awaited or its answer, a fan-out in progress, a saga's
compensation plan, the status a suspension saved. It is stored as one JSON object in the
``pending`` column; this module is the one place that reads and writes that object
(:class:`PendingField`), so every other module works with attributes, never keys.

An instance with nothing pending holds ``None``, never an empty ``Pending``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.json import KeyTransform


@dataclass
class Pending:
    """The parts of an instance's unfinished business; unset parts are ``None``."""

    # The transition to take (its index in the machine) and the event that chose it.
    transition: int | None = None
    event: str | None = None
    payload: dict[str, Any] | None = None  # the event's payload, seen by guards and actions
    # A subworkflow step: the child awaited, then its final data or why it failed.
    child: int | None = None
    child_result: dict[str, Any] | None = None
    child_failed: str | None = None
    # A parallel state's fan-out: items, started children, results (fanout.py).
    fanout: dict[str, Any] | None = None
    # A saga: the compensations still to run, newest first (an empty list is a plan that
    # has run to its end), the step that failed, and whether an operator cancelled it.
    compensations: list[dict[str, Any]] | None = None
    failed_step: int | None = None
    cancelled: bool = False
    # A suspended instance: the status (and ready flag) that resume puts back.
    suspended: dict[str, Any] | None = None

    def replace(self, **changes: Any) -> Pending:
        """A copy with ``changes`` applied (the stored value is never edited in place)."""
        return dataclasses.replace(self, **changes)

    def or_none(self) -> Pending | None:
        """This value, or ``None`` when no part is set (nothing pending)."""
        return self if self.dump() else None

    def dump(self) -> dict[str, Any]:
        """The JSON object stored in the column: the parts that are set."""
        parts = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        # Identity, not equality: a transition index 0 is set (0 == False).
        return {
            name: value for name, value in parts.items() if value is not None and value is not False
        }

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> Pending | None:
        """The value of a stored object; ``None`` for nothing pending."""
        if not raw:
            return None
        unknown = raw.keys() - PARTS
        if unknown:
            raise ValueError(f"pending holds unknown parts {sorted(unknown)}")
        return cls(**raw)


PARTS = frozenset(f.name for f in dataclasses.fields(Pending))


def resumed_status(pending: Pending | None) -> str:
    """The status a suspended instance goes back to (``waiting`` if none was saved)."""
    saved = pending.suspended if pending is not None else None
    return (saved or {}).get("status", "waiting")


def stored(pending: Pending | None) -> dict[str, Any] | None:
    """The column's value for ``pending`` (raw SQL writers use it with ``json.dumps``)."""
    return None if pending is None else pending.dump() or None


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Pending):
            return o.dump()
        return super().default(o)


class PendingField(models.JSONField):
    """``Instance.pending``: a :class:`Pending` in Python, its ``dump`` in the database."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("encoder", _Encoder)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("encoder", None)
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        raw = super().from_db_value(value, expression, connection)
        if isinstance(expression, KeyTransform):
            return raw  # pending__child and the like: a part, not the whole
        return Pending.load(raw)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Pending) or value is None:
            return value
        if isinstance(value, str):
            value = json.loads(value)
        return Pending.load(value)

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(stored(value) if isinstance(value, Pending) else value)

    def value_to_string(self, obj: Any) -> Any:
        value = self.value_from_object(obj)
        return stored(value) if isinstance(value, Pending) else value
