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
from workflow_platform.engine.selectors import instance_graph
from workflow_platform.tenancy.models import Tenant

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
    data_json = json.dumps(instance.data, indent=2, ensure_ascii=False, sort_keys=True)
    return {
        "instance": instance,
        "states": states,
        "history": history,
        "data_json": data_json,
        "graph": graph,
    }
