"""Where a task's instance is: its data, its graph's states with the current one marked,
and its history, for the task page.

The page draws the graph read-only with the designer's drawing code (static/designer/
graph.js, static/inbox/task_graph.js) from ``graph``: the version's states and
transitions, the current state and the ones the instance passed through. The list of
states stays as the graph's text alternative.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils import timezone

from workflow_platform.definitions.machine import AUTO
from workflow_platform.engine.models import HistoryEvent
from workflow_platform.engine.selectors import instance_graph
from workflow_platform.tenancy.models import Tenant
from workflow_platform.worklist.selectors import humanise

HISTORY_SHOWN = 50


def instance_context(tenant: Tenant, instance) -> dict[str, Any]:
    graph = instance_graph(tenant, instance)
    visited = set(graph["visited"])
    states = [
        {
            "name": state.get("name", ""),
            "label": state.get("label") or state.get("name", ""),
            "kind": state.get("kind", "normal"),
            "current": state.get("name") == instance.state,
            "visited": state.get("name") in visited,
        }
        for state in graph["document"]["states"]
    ]
    history = list(
        HistoryEvent.objects.for_tenant(tenant)
        .filter(instance=instance)
        .select_related("user")
        .order_by("-seq")[:HISTORY_SHOWN]
    )
    _describe(history, graph["document"].get("transitions", []))
    data_json = json.dumps(instance.data, indent=2, ensure_ascii=False, sort_keys=True)
    return {
        "instance": instance,
        "states": states,
        "history": history,
        "data_json": data_json,
        "graph": graph,
    }


def _describe(history: list[HistoryEvent], transitions: list[dict]) -> None:
    """Words for each history row, as the operations instance page names events (the
    type's display name, "Task completed" not ``task_completed``): ``when`` (the time, with
    the date unless today), ``event_words`` (the transition's label or the event as words;
    '' for an automatic move) and ``by`` (the decider's name outlives their account)."""
    labels: dict[str, str] = {}
    for transition in transitions:
        on = transition.get("on", AUTO)
        if transition.get("label") and on not in labels:
            labels[on] = transition["label"]
    today = timezone.localdate()
    for event in history:
        at = timezone.localtime(event.created_at)
        event.when = f"{at:%H:%M:%S}" if at.date() == today else f"{at:%Y-%m-%d %H:%M:%S}"
        name = event.event or ""
        event.event_words = "" if name in ("", AUTO) else labels.get(name) or humanise(name)
        event.by = (event.user.get_username() if event.user else "") or (
            (event.detail or {}).get("decided_by", "") if isinstance(event.detail, dict) else ""
        )
