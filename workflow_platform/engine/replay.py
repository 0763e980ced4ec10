"""Replaying history: the instance row must be exactly what its events derive.

Events are folded by what they *are*, not copied: a start, a transition or a migration
moves the state (a transition must leave from where the previous one arrived, along an
edge of the version in force), the entered state's kind and each event's type give the
lifecycle status, transitions count the steps, the types say what becomes of the
attempt, the incident flag and the end time, the data deltas rebuild the data, and
migrations the version. Every event must agree with that derivation (the state, status
and step it records after it), and the stored row with the end of the fold. So a
tampered event in the middle of a history shows, not only one at its end, and so does
any projected column of the row. A gap in the sequence is reported too. The
``replay_history`` command runs this over every instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workflow_platform.definitions.machine import AUTO, Machine
from workflow_platform.definitions.models import Version
from workflow_platform.tenancy.scoping import all_tenants

from .machines import machine_of_version
from .models import HistoryEvent, Instance, Status
from .stepping import apply_delta

# The row's columns that history determines (``version`` as its number).
PROJECTED = (
    "state",
    "status",
    "step",
    "attempt",
    "has_incident",
    "ended_at",
    "version",
    "data",
    "seq",
)
# What each event records of the projection after it.
RECORDED = (("to_state", "state"), ("status", "status"), ("step", "step"))
T = HistoryEvent.Type
# Status after an event of a type that decides it alone.
STATUS_AFTER: dict[str, Status] = {
    T.EVENT_ACCEPTED: Status.RUNNING,
    T.TASK_COMPLETED: Status.RUNNING,
    T.ACTION_FAILED: Status.WAITING,
    T.INCIDENT_OPENED: Status.FAILED,
    T.INCIDENT_RETRIED: Status.RUNNING,
    T.WAITING: Status.WAITING,
    T.CHILD_STARTED: Status.WAITING,
    T.CHILD_ENDED: Status.RUNNING,
    T.CANCELLED: Status.CANCELLED,
    T.COMPENSATING: Status.COMPENSATING,
    T.COMPENSATION_RAN: Status.COMPENSATING,
    T.COMPENSATION_FAILED: Status.COMPENSATING,
    T.COMPENSATED: Status.COMPENSATED,
    T.SUSPENDED: Status.SUSPENDED,
    T.REDRIVEN: Status.RUNNING,
}
RESETS_ATTEMPT = (T.TRANSITIONED, T.INCIDENT_RETRIED, T.REDRIVEN, T.COMPENSATING,
                  T.COMPENSATION_RAN)  # fmt: skip
ENDS = (T.CANCELLED, T.COMPENSATED)
REOPENS = (T.REDRIVEN, T.COMPENSATING)


@dataclass(frozen=True)
class Difference:
    """One place where the stored row or an event disagrees with the fold of history."""

    instance_id: int
    field: str
    stored: Any
    replayed: Any
    seq: int | None = None  # the event that disagrees; None for the instance row
    event: str = ""  # its type
    text: str = ""  # said in words instead (a gap, an impossible transition)

    def __str__(self) -> str:
        where = f"instance {self.instance_id}"
        if self.seq is not None:
            where += f", history #{self.seq} ({self.event})"
        if self.text:
            return f"{where}: {self.text}"
        return f"{where}: {self.field} is {self.stored!r} but history gives {self.replayed!r}"


class _Versions:
    """Machines of a definition's versions by number, loaded once per replay."""

    def __init__(self) -> None:
        self._machines: dict[tuple[int, int], Machine | None] = {}

    def machine(self, definition_id: int, number: int | None) -> Machine | None:
        if number is None:
            return None
        key = (definition_id, number)
        if key not in self._machines:
            with all_tenants():
                version_id = (
                    Version.objects.filter(definition_id=definition_id, number=number)
                    .values_list("pk", flat=True)
                    .first()
                )
            self._machines[key] = machine_of_version(version_id) if version_id else None
        return self._machines[key]


def _entered(machine: Machine | None, state: str, *, start: bool) -> str | None:
    """The status an instance has on entering ``state`` (stepping.enter_state)."""
    if machine is None or state not in machine.states:
        return None
    kind = machine.states[state].kind
    if kind == "final":
        return Status.COMPLETED
    if kind == "failed":
        return Status.FAILED
    if kind == "normal" and machine.outgoing(state, AUTO):
        return Status.CREATED if start else Status.RUNNING
    return Status.WAITING


def _first_version(instance: Instance, events: list[HistoryEvent]) -> int | None:
    """The version an instance started on: its start says so, or its first migration;
    an instance never migrated is still on it."""
    for event in events:
        detail = event.detail or {}
        if event.type == T.STARTED and detail.get("version") is not None:
            return detail["version"]
        if event.type == T.MIGRATED:
            return detail.get("from_version")
    return instance.version.number


class _Fold:
    """The projection as history builds it, event by event, and what disagreed."""

    def __init__(self, instance: Instance, events: list[HistoryEvent], versions: _Versions):
        self.instance = instance
        self.versions = versions
        self.found: list[Difference] = []
        self.p: dict[str, Any] = {
            "state": None,
            "status": None,
            "step": 0,
            "attempt": 1,
            "has_incident": False,
            "ended_at": None,
            "version": _first_version(instance, events),
            "data": {},
            "seq": 0,
        }
        self.held_from: str | None = None  # the status a suspension interrupted
        for event in events:
            self.apply(event)

    @property
    def machine(self) -> Machine | None:
        return self.versions.machine(self.instance.definition_id, self.p["version"])

    def note(self, seq: int, event: str, text: str) -> None:
        self.found.append(Difference(self.instance.pk, "", None, None, seq, event, text))

    def apply(self, event: HistoryEvent) -> None:
        p = self.p
        if event.seq != p["seq"] + 1:
            for missing in range(p["seq"] + 1, event.seq):
                self.note(missing, "missing", "no such event: the sequence has a gap")
        p["seq"] = event.seq
        p["data"] = apply_delta(p["data"], event.delta)
        kind, detail = event.type, event.detail or {}
        if kind in (T.TRANSITIONED, T.MIGRATED) and event.from_state != p["state"]:
            where = f"{event.from_state!r}, but the instance was in {p['state']!r}"
            self.note(event.seq, kind, f"leaves from {where}")
        if kind == T.MIGRATED:
            p["version"] = detail.get("to_version", p["version"])
        if kind == T.TRANSITIONED:
            machine = self.machine
            if machine is not None and not any(
                t.target == event.to_state for t in machine.outgoing(event.from_state)
            ):
                edge = f"{event.from_state} → {event.to_state}"
                self.note(event.seq, kind, f"version {p['version']} has no transition {edge}")
            p["step"] += 1
        if kind in (T.STARTED, T.TRANSITIONED, T.MIGRATED):
            p["state"] = event.to_state
        self._status(event)
        self._attempt(event, detail)
        if kind == T.INCIDENT_OPENED:
            p["has_incident"] = True
        elif kind in (T.INCIDENT_RETRIED, *REOPENS):
            p["has_incident"] = False
        if kind in (T.STARTED, T.TRANSITIONED):
            ended = p["status"] in (Status.COMPLETED, Status.FAILED)
            p["ended_at"] = event.created_at if ended else None
        elif kind in ENDS:
            p["ended_at"] = event.created_at
        elif kind in REOPENS:
            p["ended_at"] = None
        for recorded, name in RECORDED:
            value = getattr(event, recorded)
            if p[name] is not None and value != p[name]:
                found = Difference(self.instance.pk, recorded, value, p[name], event.seq, kind)
                self.found.append(found)

    def _status(self, event: HistoryEvent) -> None:
        p, kind = self.p, event.type
        if kind in (T.STARTED, T.TRANSITIONED):
            status = _entered(self.machine, event.to_state, start=kind == T.STARTED)
            if status is None and self.machine is not None:
                missing = f"{event.to_state!r}, which version {p['version']} does not have"
                self.note(event.seq, kind, f"enters {missing}")
            p["status"] = status or event.status  # no machine: take the event's word
        elif kind == T.TIMER_FIRED:
            # A compensation's retry timer leaves the saga compensating.
            compensating = p["status"] == Status.COMPENSATING
            p["status"] = Status.COMPENSATING if compensating else Status.RUNNING
        elif kind == T.RESUMED:
            p["status"] = self.held_from or Status.WAITING
        elif kind in STATUS_AFTER:
            if kind == T.SUSPENDED:
                self.held_from = p["status"]
            p["status"] = STATUS_AFTER[kind]
        if p["status"] is not None:
            p["status"] = str(p["status"])  # the plain value, as the row holds it

    def _attempt(self, event: HistoryEvent, detail: dict) -> None:
        p, kind = self.p, event.type
        if kind == T.STARTED or kind in RESETS_ATTEMPT:
            p["attempt"] = 1
        elif kind == T.ACTION_FAILED:
            # A throttled, held or pending call keeps its attempt; the event says which.
            p["attempt"] = detail.get("next_attempt")  # None (unknown) in older histories
        elif kind == T.COMPENSATION_FAILED:
            p["attempt"] = detail.get("next_attempt", event.attempt + 1)

    def row_differences(self) -> list[Difference]:
        inst, found = self.instance, []
        for name in PROJECTED:
            replayed = self.p[name]
            if replayed is None and name in ("attempt", "version", "status", "state"):
                continue  # history cannot tell (older events, no start recorded)
            stored = inst.version.number if name == "version" else getattr(inst, name)
            if stored != replayed:
                found.append(Difference(inst.pk, name, stored, replayed))
        return found


def differences(
    instance: Instance, events: Iterable[HistoryEvent], versions: _Versions | None = None
) -> list[Difference]:
    """Where ``instance`` or its ``events`` (in seq order) disagree with their fold."""
    fold = _Fold(instance, list(events), versions or _Versions())
    return fold.found + fold.row_differences()


def replay(instances, *, chunk: int = 500) -> Iterator[Difference]:
    """Differences between each of ``instances`` (a queryset) and its replayed history."""
    ids = list(instances.order_by("pk").values_list("pk", flat=True))
    versions = _Versions()
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        events: dict[int, list[HistoryEvent]] = {pk: [] for pk in part}
        for event in HistoryEvent.objects.filter(instance_id__in=part).order_by("instance", "seq"):
            events[event.instance_id].append(event)
        rows = Instance.objects.filter(pk__in=part).select_related("version").order_by("pk")
        for instance in rows:
            yield from differences(instance, events[instance.pk], versions)
