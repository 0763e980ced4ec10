"""Queries: a definition's named read-only expressions, answered for one instance.

A definition declares ``queries: {"name": "expression"}`` in the guard language (#18;
Temporal's queries). Answering one reads the instance and its history and evaluates the
expression with three names, and nothing else:

- ``data``: the instance's data;
- ``instance``: ``id``, ``state``, ``status``, ``step``, ``attempt``, ``has_incident``,
  ``business_key``, ``definition`` (key), ``version`` (number), ``started_at`` and
  ``ended_at`` (ISO text, ``null`` while it runs);
- ``history``: ``count`` (events recorded), ``states`` (every state entered, in order),
  ``events`` (every event and decision taken, in order), ``types`` (how many events of
  each type) and ``last`` (the type of the newest event).

Nothing is locked or written: the answer is as of the moment it is read, and the
instance goes on undisturbed. An expression that fails answers with its error, not
a server error; evaluation is bounded as every guard's is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workflow_platform.definitions.conditions import ConditionError, evaluate_condition
from workflow_platform.errors import NotFound

from .machines import machine_of_version
from .models import HistoryEvent, Instance
from .selectors import instance_detail

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

# The newest this many history events are what ``history`` summarises.
MAX_HISTORY_READ = 10_000
ENTERED = (HistoryEvent.Type.STARTED, HistoryEvent.Type.TRANSITIONED)
TAKEN = (HistoryEvent.Type.EVENT_ACCEPTED, HistoryEvent.Type.TASK_COMPLETED)


@dataclass(frozen=True)
class Answer:
    name: str
    expression: str
    value: Any = None
    error: str = ""


def answer_queries(tenant: Tenant, instance_id: int, name: str | None = None) -> list[Answer]:
    """The answers of the instance's queries (only ``name``'s when given).

    Raises NotFound for an unknown instance or (``query_not_found``) query name.
    """
    instance = instance_detail(tenant, instance_id)
    queries = machine_of_version(instance.version_id).queries
    if name is not None:
        if name not in queries:
            known = ", ".join(sorted(queries)) or "none"
            raise NotFound(
                "query_not_found",
                f"Version {instance.version.number} of '{instance.definition.key}' has no "
                f"query '{name[:64]}' (it has {known}).",
            )
        queries = {name: queries[name]}
    if not queries:
        return []
    history = _history(tenant, instance)
    names = {"data": instance.data, "instance": _place(instance), "history": history}
    return [_answer(query, text, names) for query, text in queries.items()]


def _answer(name: str, text: str, names: dict[str, Any]) -> Answer:
    try:
        return Answer(name, text, value=evaluate_condition(text, names))
    except (ConditionError, TypeError, ValueError, ArithmeticError) as error:
        return Answer(name, text, error=str(error) or type(error).__name__)


def _place(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.pk,
        "state": instance.state,
        "status": instance.status,
        "step": instance.step,
        "attempt": instance.attempt,
        "has_incident": instance.has_incident,
        "business_key": instance.business_key,
        "definition": instance.definition.key,
        "version": instance.version.number,
        "started_at": instance.created_at.isoformat(),
        "ended_at": instance.ended_at.isoformat() if instance.ended_at else None,
    }


def _history(tenant: Tenant, instance: Instance) -> dict[str, Any]:
    rows = list(
        HistoryEvent.objects.for_tenant(tenant)
        .filter(instance_id=instance.pk)
        .order_by("-seq")
        .values_list("type", "to_state", "event")[:MAX_HISTORY_READ]
    )
    rows.reverse()
    return {
        "count": instance.seq,
        "states": [state for type_, state, _ in rows if type_ in ENTERED],
        "events": [event for type_, _, event in rows if type_ in TAKEN and event],
        "types": dict(Counter(type_ for type_, _, _ in rows)),
        "last": rows[-1][0] if rows else None,
    }
