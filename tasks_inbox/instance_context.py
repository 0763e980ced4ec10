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

from workflow_platform.engine.models import HistoryEvent
from workflow_platform.tenancy.models import Tenant

HISTORY_SHOWN = 50


def instance_context(tenant: Tenant, instance) -> dict[str, Any]:
    document = instance.version.document or {}
    visited = set(
        HistoryEvent.objects.for_tenant(tenant)
        .filter(instance=instance)
        .values_list("to_state", flat=True)
    )
    states = [
        {
            "name": state.get("name", ""),
            "label": state.get("label") or state.get("name", ""),
            "kind": state.get("kind", "normal"),
            "current": state.get("name") == instance.state,
            "visited": state.get("name") in visited,
        }
        for state in document.get("states", [])
        if isinstance(state, dict)
    ]
    history = list(
        HistoryEvent.objects.for_tenant(tenant)
        .filter(instance=instance)
        .select_related("user")
        .order_by("-seq")[:HISTORY_SHOWN]
    )
    data_json = json.dumps(instance.data, indent=2, ensure_ascii=False, sort_keys=True)
    graph = {
        "document": {
            "initial": document.get("initial", ""),
            "states": [s for s in document.get("states", []) if isinstance(s, dict)],
            "transitions": [t for t in document.get("transitions", []) if isinstance(t, dict)],
        },
        "current": instance.state,
        "visited": sorted(name for name in visited if name),
    }
    return {
        "instance": instance,
        "states": states,
        "history": history,
        "data_json": data_json,
        "graph": graph,
    }
