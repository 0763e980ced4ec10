"""Replaying history: the instance row must be exactly the fold of its events.

Each history event records the state, status and step *after* it and the data delta
it made (:mod:`.stepping`). Folding an instance's events in sequence order must give
back its stored projection; any difference (or a gap in the sequence) is reported.
The ``replay_history`` command runs this over every instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .models import HistoryEvent, Instance
from .stepping import apply_delta

PROJECTED = ("state", "status", "step", "data", "seq")


@dataclass(frozen=True)
class Difference:
    instance_id: int
    field: str
    stored: Any
    replayed: Any

    def __str__(self) -> str:
        return (
            f"instance {self.instance_id}: {self.field} is {self.stored!r} "
            f"but history gives {self.replayed!r}"
        )


def fold(events: Iterable[HistoryEvent]) -> dict[str, Any]:
    """The projection that ``events`` (in seq order) describe; ``gaps`` lists missing seqs."""
    projection: dict[str, Any] = {"data": {}, "seq": 0, "gaps": []}
    for event in events:
        expected = projection["seq"] + 1
        if event.seq != expected:
            projection["gaps"].append(expected)
        projection["seq"] = event.seq
        projection["state"] = event.to_state
        projection["status"] = event.status
        projection["step"] = event.step
        projection["data"] = apply_delta(projection["data"], event.delta)
    return projection


def differences(instance: Instance, events: Iterable[HistoryEvent]) -> list[Difference]:
    projection = fold(events)
    found = [
        Difference(instance.pk, "seq", None, f"gap before {gap}") for gap in projection["gaps"]
    ]
    for field in PROJECTED:
        stored = getattr(instance, field)
        replayed = projection.get(field)
        if stored != replayed:
            found.append(Difference(instance.pk, field, stored, replayed))
    return found


def replay(instances, *, chunk: int = 500) -> Iterator[Difference]:
    """Differences between each of ``instances`` (a queryset) and its replayed history."""
    ids = list(instances.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        events: dict[int, list[HistoryEvent]] = {pk: [] for pk in part}
        for event in HistoryEvent.objects.filter(instance_id__in=part).order_by("instance", "seq"):
            events[event.instance_id].append(event)
        for instance in Instance.objects.filter(pk__in=part).order_by("pk"):
            yield from differences(instance, events[instance.pk])
