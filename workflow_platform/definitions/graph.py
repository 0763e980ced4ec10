"""Checks on the state graph: reachable states, a way out, an end in reach, clear choices.

Seed 002's rule is that from one state exactly one transition is taken, and the choice
must be well defined. Transitions that share a source and a trigger are tried in their
explicit ``order``; the only unordered one allowed among several is a single unguarded
fallback behind guarded, ordered ones (it is tried last). Anything else is ambiguous: two
transitions could both fire for the same event and data. Each check yields
``(path, code, message)``; the caller (rules.py) has already reported bad references, so
here only well-formed transitions between known states count.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

from .machine import AUTO, TERMINAL_KINDS, TIMER

Found = tuple[str, str, str]


def graph_problems(
    states: dict[str, tuple[int, dict[str, Any]]],
    transitions: list[tuple[int, dict[str, Any]]],
    initial: Any,
) -> Iterator[Found]:
    """``states``: name -> (index, raw); ``transitions``: (index, raw) between known states."""
    edges: dict[str, set[str]] = defaultdict(set)
    for _, raw in transitions:
        edges[raw["from"]].add(raw["to"])
    yield from _reachability(states, edges, initial)
    yield from _ways_out(states, edges)
    yield from _ambiguity(transitions)


def _reachability(
    states: dict[str, tuple[int, dict[str, Any]]], edges: dict[str, set[str]], initial: Any
) -> Iterator[Found]:
    if initial not in states:
        return
    reached = _closure({initial}, edges)
    for name, (index, _) in states.items():
        if name not in reached:
            yield (
                f"states[{index}]",
                "unreachable_state",
                f"state '{name}' cannot be reached from the initial state '{initial}'",
            )


def _ways_out(
    states: dict[str, tuple[int, dict[str, Any]]], edges: dict[str, set[str]]
) -> Iterator[Found]:
    terminal = {n for n, (_, raw) in states.items() if raw.get("kind") in TERMINAL_KINDS}
    reverse: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    can_finish = _closure(terminal, reverse)
    for name, (index, _) in states.items():
        if name in terminal:
            continue
        if not edges.get(name):
            yield (
                f"states[{index}]",
                "no_way_out",
                f"state '{name}' is not final or failed but has no transition out of it",
            )
        elif name not in can_finish:
            yield (
                f"states[{index}]",
                "no_path_to_end",
                f"from state '{name}' no final or failed state can be reached: "
                "an instance there would be trapped",
            )


def _closure(start: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    queue = deque(start)
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _trigger(raw: dict[str, Any]) -> tuple[str, ...]:
    on = raw.get("on", AUTO)
    if on == TIMER:
        # Timers with different times are different triggers.
        return (on, str(raw.get("after")), str(raw.get("at")))
    return (on,)


def _ambiguity(transitions: list[tuple[int, dict[str, Any]]]) -> Iterator[Found]:
    groups: dict[tuple[Any, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for index, raw in transitions:
        groups[(raw["from"], *_trigger(raw))].append((index, raw))
    for key, group in groups.items():
        if len(group) > 1:
            yield from _ambiguous_group(key[0], key[1], group)


def _ambiguous_group(
    source: str, on: str, group: list[tuple[int, dict[str, Any]]]
) -> Iterator[Found]:
    ordered = [(i, raw) for i, raw in group if raw.get("order") is not None]
    unordered = [(i, raw) for i, raw in group if raw.get("order") is None]
    trigger = f"on '{on}'"
    by_order: dict[int, int] = {}
    for index, raw in ordered:
        order = raw["order"]
        if order in by_order:
            yield (
                f"transitions[{index}].order",
                "duplicate_order",
                f"transitions[{by_order[order]}] and transitions[{index}] leave '{source}' "
                f"{trigger} with the same order {order}: give each a distinct order",
            )
        else:
            by_order[order] = index
    fallback_ok = (
        len(unordered) == 1
        and not unordered[0][1].get("when")
        and all(raw.get("when") for _, raw in ordered)
    )
    if unordered and not fallback_ok:
        others = ", ".join(f"transitions[{i}]" for i, _ in group)
        for index, _ in unordered:
            yield (
                f"transitions[{index}]",
                "ambiguous_transition",
                f"{others} all leave '{source}' {trigger}, so more than one could fire: "
                "give each an explicit, distinct 'order' (one unguarded fallback without "
                "an order may follow guarded, ordered ones)",
            )
    # Behind an unguarded transition, higher orders can never fire.
    sequence = sorted(ordered, key=lambda item: (item[1]["order"], item[0]))
    for position, (index, raw) in enumerate(sequence):
        if not raw.get("when"):
            for later, _ in sequence[position + 1 :]:
                yield (
                    f"transitions[{later}]",
                    "unreachable_transition",
                    f"transitions[{index}] has no guard and a lower order, so "
                    f"transitions[{later}] can never fire",
                )
            break
