"""ASL ``Map`` and ``Parallel`` onto our ``parallel`` states and generated child definitions.

Our parallel state runs child instances of other definitions and joins them (docs/
definition-format.md, "Parallel states"). So each Map's item processor, and each
Parallel branch, becomes a **child definition** of its own (key ``<key>-<state>-<hash>``:
the hash of the sub-machine, so a changed sub-machine is a new definition and running
parents keep theirs), published with the import. The child starts in a synthetic
``entry`` state whose transition gives the sub-machine its ASL input:

- Map: ``map_over`` selects the items (``InputPath`` then ``ItemsPath``); a child's data is
  ``{"item": value, "index": i}`` and its entry takes ``$.item`` (or ``ItemSelector``,
  whose ``$$.Map.Item.Value`` and ``$$.Map.Item.Index`` become ``$.item`` and ``$.index``);
  ``MaxConcurrency`` is the concurrency.
- Parallel: every branch gets the state's input after ``InputPath``, carried as JSON text
  (branch data is a template) and read back with ``States.StringToJson``; ``Parameters``
  are applied in the entry.

The join (``joined``) takes the children's outputs, in order, as the state's result
(``asl.result_key``), then ``ResultSelector``, ``ResultPath`` and ``OutputPath``. A child
that fails fails the join (``fail_fast``): the instance fails with an incident, as the
execution would. ``Retry`` and ``Catch`` on these states are not mapped yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from .paths import PathError, data_expression

RESULTS = "results"
ITEM_FIELDS = ("$$.Map.Item.Value", "$$.Map.Item.Index")
_REFUSED_MAP = (
    "ItemReader",
    "ResultWriter",
    "ItemBatcher",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
    "MaxConcurrencyPath",
    "Label",
    "Items",
    "Retry",
    "Catch",
)
_REFUSED_PARALLEL = ("Retry", "Catch")

Refuse = Callable[[str, str], None]
# (sub-machine, child key, where, entry transition fields) -> the child's document
MakeChild = Callable[[dict[str, Any], str, str, list[dict[str, Any]]], None]


def child_key(root: str, state: str, sub_machine: Any) -> str:
    digest = hashlib.sha256(json.dumps(sub_machine, sort_keys=True).encode()).hexdigest()[:8]
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", f"{root}-{state}").strip("-")[:88]
    return f"{base}-{digest}"


def map_state(
    where: str, ours: str, raw: dict[str, Any], *, root: str, refuse: Refuse, make: MakeChild
) -> dict[str, Any] | None:
    """The ``parallel`` spec of a Map state (its child made with ``make``), or None."""
    for field in _REFUSED_MAP:
        if field in raw:
            refuse(f"{where}.{field}", f"{field} on a Map state is not supported at `{where}`")
    processor = raw.get("ItemProcessor") or raw.get("Iterator")
    mode = ((processor or {}).get("ProcessorConfig") or {}).get("Mode", "INLINE")
    if mode != "INLINE":
        refuse(f"{where}.ItemProcessor", f"a {mode} Map is not supported at `{where}`")
    items = _composed(raw.get("InputPath", "$"), raw.get("ItemsPath", "$"))
    expression = None
    with contextlib.suppress(PathError):
        expression = data_expression(items) if items else None
    if expression is None:
        refuse(
            f"{where}.ItemsPath",
            f"ItemsPath (after InputPath) must be a simple path of names and indexes at `{where}`",
        )
        return None
    selector = raw.get("ItemSelector", raw.get("Parameters"))
    entry: dict[str, Any] = {"asl": {"input_path": "$.item"}}
    if selector is not None:
        translated = _item_selector(selector, f"{where}.ItemSelector", refuse)
        entry = {"asl": {"parameters": translated}}
    if not isinstance(processor, dict):  # the checks refuse such a machine first
        return None
    key = child_key(root, ours, processor)
    field = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
    make(processor, key, f"{where}.{field}", [entry])
    spec: dict[str, Any] = {
        "map_over": expression,
        "workflow": key,
        "item_as": "item",
        "results_to": RESULTS,
    }
    if raw.get("MaxConcurrency"):
        spec["concurrency"] = min(int(raw["MaxConcurrency"]), 1000)
    return spec


def parallel_state(
    where: str, ours: str, raw: dict[str, Any], *, root: str, refuse: Refuse, make: MakeChild
) -> dict[str, Any] | None:
    """The ``parallel`` spec of a Parallel state (its children made with ``make``)."""
    for field in _REFUSED_PARALLEL:
        if field in raw:
            refuse(f"{where}.{field}", f"{field} on a Parallel state is not supported at `{where}`")
    source = raw.get("InputPath", "$")
    try:
        expression = data_expression(source) if source is not None else None
    except PathError:
        expression = None
    if expression is None:
        refuse(
            f"{where}.InputPath",
            f"InputPath must be a simple path of names and indexes at `{where}`",
        )
        return None
    # The input travels as JSON text: a list, so even a text value is written as JSON.
    decode: dict[str, Any] = {
        "asl": {
            "parameters": {"input.$": "States.StringToJson($.input)"},
            "output_path": "$.input[0]",
        }
    }
    branches = []
    for index, branch in enumerate(raw["Branches"]):
        key = child_key(root, f"{ours}-{index}", branch)
        entries = [decode]
        if "Parameters" in raw:
            entries.append({"asl": {"parameters": raw["Parameters"]}})
        make(branch, key, f"{where}.Branches[{index}]", entries)
        branches.append(
            {"name": f"b{index}", "workflow": key, "data": {"input": "{{ [" + expression + "] }}"}}
        )
    return {"branches": branches, "results_to": RESULTS}


def _composed(first: Any, then: Any) -> str | None:
    """InputPath, then ItemsPath, as one path (None when InputPath is null)."""
    if not isinstance(first, str) or not isinstance(then, str) or not then.startswith("$"):
        return None
    return first + then[1:]


def _item_selector(template: Any, where: str, refuse: Refuse) -> Any:
    """ItemSelector with the item's context fields as paths over a child's data."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str) and not value.startswith("States."):
                if value.startswith("$$.Map.Item.Value"):
                    value = "$.item" + value[len("$$.Map.Item.Value") :]
                elif value == "$$.Map.Item.Index":
                    value = "$.index"
                else:
                    refuse(
                        f"{where}.{key}",
                        "ItemSelector may read only $$.Map.Item.Value and "
                        f"$$.Map.Item.Index (not the Map's input) at `{where}.{key}`",
                    )
            elif key.endswith(".$"):
                refuse(
                    f"{where}.{key}",
                    f"intrinsics in ItemSelector are not supported at `{where}.{key}`",
                )
            out[key] = _item_selector(value, f"{where}.{key}", refuse)
        return out
    if isinstance(template, list):
        return [_item_selector(item, f"{where}[{i}]", refuse) for i, item in enumerate(template)]
    return template
