"""A move: all that one commit does to one instance, described in memory.

The step layer (:mod:`.stepping`) and the state kinds fill a move in; the journal
(:mod:`.journal`) writes the moves of many instances in one transaction. A move holds the
instance (mutated in memory, its lifecycle moved by django-fsm methods), the history
events to append with their gapless sequence numbers, and the rows the change opens or
closes. Rows that a state kind owns (a human task, say) travel in ``opened`` and are
written by that kind's hooks (:mod:`.kinds`); the engine does not know their model.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .models import HistoryEvent, Incident, Instance, Status, Timer
from .signals import Change

# The projection and the lease: what a step may change on an instance row.
MOVED_FIELDS = [
    "status",
    "state",
    "data",
    "step",
    "attempt",
    "seq",
    "pending",
    "ready",
    "ready_since",
    "lease_owner",
    "lease_expires_at",
    "has_incident",
    "lost_leases",
    "last_error",
    "ended_at",
    "updated_at",
]
# The changes of a move that ends a child: its commit changes (and first locks) the parent.
ENDING_CHANGES = frozenset(
    {Change.COMPLETED, Change.FAILED, Change.INCIDENT, Change.COMPENSATED, Change.CANCELLED}
)
ENDED_CHILD = (Status.COMPLETED, Status.FAILED, Status.COMPENSATED, Status.CANCELLED)


@dataclass
class Move:
    """All that one commit does to one instance."""

    instance: Instance
    fence: int | None = None  # the fencing token the writer holds; None for a new row
    history: list[HistoryEvent] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    # Rows a state kind opens in this commit, each with what its hook needs to write it.
    opened: list[tuple[Any, Any]] = field(default_factory=list)
    close_timers: bool = False  # the state was left: its open timers no longer apply
    left: tuple[str, str] | None = None  # (kind, name) of the state this move left
    child: dict[str, Any] | None = None  # {"version", "data"}: start a subworkflow child
    changes: list[Change] = field(default_factory=list)  # instance_changed signals to send
    timer_problem: str | None = None  # a state timer that cannot be scheduled, and why
    # What a state kind notes on the move for its own hooks (e.g. a fan-out to start).
    notes: dict[str, Any] = field(default_factory=dict)

    def record(self, type_: str, *, now: datetime, **fields: Any) -> HistoryEvent:
        """Append a history event describing the instance *after* the change."""
        inst = self.instance
        inst.seq += 1
        event = HistoryEvent(
            tenant_id=inst.tenant_id,
            instance_id=inst.pk,
            seq=inst.seq,
            type=type_,
            to_state=inst.state,
            status=inst.status,
            step=inst.step,
            created_at=now,
            **fields,
        )
        self.history.append(event)
        return event

    def snapshot(self) -> list[tuple[Any, dict]]:
        """What this move is now, for :meth:`restore` if its commit fails.

        The journal writes into a move as it commits it (row ids, timer keys, a
        fan-out's first children in the instance's ``pending``, the join of an empty
        fan-out); a transaction that rolls back keeps none of that in the database, so
        a second try must not start from it either. Cheap: shallow copies of each
        object's attributes and a deep copy of ``pending`` only.
        """
        objects = [self, self.instance, *self.history, *self.timers, *self.incidents]
        objects.extend(row for row, _ in self.opened)
        saved = [(obj, obj.__dict__.copy()) for obj in objects]
        saved[0][1].update(
            history=list(self.history),
            timers=list(self.timers),
            incidents=list(self.incidents),
            opened=list(self.opened),
            changes=list(self.changes),
            notes=dict(self.notes),
        )
        saved[1][1]["pending"] = copy.deepcopy(self.instance.pending)
        return saved

    def restore(self, snapshot: list[tuple[Any, dict]]) -> None:
        """Put this move (and its instance and rows) back as :meth:`snapshot` saw them."""
        for obj, attributes in snapshot:
            # Never empty: the lease heartbeat may read the instance meanwhile.
            for name in obj.__dict__.keys() - attributes.keys():
                del obj.__dict__[name]
            obj.__dict__.update(attributes)
        self.instance.pending = copy.deepcopy(self.instance.pending)  # the snapshot's stays clean


def release(inst: Instance) -> None:
    """The instance is not ready and no worker holds it."""
    inst.ready = False
    inst.lease_owner = ""
    inst.lease_expires_at = None


def end_cancelled(inst: Instance, *, now: datetime) -> None:
    """In memory: the instance is cancelled, holds nothing pending, and is released."""
    inst.cancel()
    inst.pending = None
    inst.ended_at = now
    release(inst)
