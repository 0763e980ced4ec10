"""Positions for the designer: an imported machine opens as a laid-out graph.

Layered by distance from the initial state (breadth first), left to right within a
layer in document order; states nothing reaches go in a last row.
"""

from __future__ import annotations

from collections import deque
from typing import Any

X0, Y0, DX, DY = 80, 80, 220, 140


def lay_out(document: dict[str, Any]) -> None:
    """Set every state's ``position`` in place."""
    states = [state["name"] for state in document["states"]]
    targets: dict[str, list[str]] = {name: [] for name in states}
    for transition in document.get("transitions", []):
        targets.setdefault(transition["from"], []).append(transition["to"])
    depth = {document["initial"]: 0}
    queue = deque([document["initial"]])
    while queue:
        name = queue.popleft()
        for target in targets.get(name, []):
            if target not in depth:
                depth[target] = depth[name] + 1
                queue.append(target)
    last = max(depth.values(), default=0) + 1
    columns: dict[int, int] = {}
    for state in document["states"]:
        row = depth.get(state["name"], last)
        column = columns.get(row, 0)
        columns[row] = column + 1
        state["position"] = {"x": X0 + DX * column, "y": Y0 + DY * row}
