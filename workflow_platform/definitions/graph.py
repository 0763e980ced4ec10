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

from .elements import transition_words
from .machine import AUTO, TERMINAL_KINDS, TIMER

Found = tuple[str, str, str]


def is_guarded(raw: dict[str, Any]) -> bool:
    """Whether a transition may not fire: a guard (``when``), a Choice rule (``choice``)
    or the errors it catches (``errors``)."""
    return bool(raw.get("when") or raw.get("choice") or raw.get("errors"))


def graph_problems(
    states: dict[str, tuple[int, dict[str, Any]]],
    transitions: list[tuple[int, dict[str, Any]]],
    initial: Any,
    *,
    explained: frozenset[str] = frozenset(),
) -> Iterator[Found]:
    """``states``: name -> (index, raw); ``transitions``: (index, raw) between known states.

    One problem per root cause: a state without a way out whose kind rule already said
    which transition it needs (``explained``) gets no second message; states trapped
    only because they lead to such a dead end or to a closed loop are not reported
    again (the dead end or the loop is); and states unreachable only because another
    unreachable state leads to them are named in that state's problem.
    """
    edges: dict[str, set[str]] = defaultdict(set)
    for _, raw in transitions:
        edges[raw["from"]].add(raw["to"])
    yield from _reachability(states, edges, initial)
    yield from _ways_out(states, edges, explained)
    yield from _ambiguity(transitions)


def _names(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _source_groups(
    members: list[str], edges: dict[str, set[str]]
) -> tuple[dict[str, set[str]], list[list[str]]]:
    """Within ``members``: what each reaches, and its groups no other member leads into."""
    inside = set(members)
    local = {n: edges.get(n, set()) & inside for n in members}
    reach = {n: _closure({n}, local) for n in members}
    groups: list[list[str]] = []
    grouped: set[str] = set()
    for name in members:
        if name in grouped:
            continue
        # A source group: every member that reaches ``name`` is reached back by it.
        if all(name not in reach[other] or other in reach[name] for other in members):
            group = [n for n in members if n in reach[name] and name in reach[n]]
            grouped.update(group)
            groups.append(group)
    return reach, groups


def _reachability(
    states: dict[str, tuple[int, dict[str, Any]]], edges: dict[str, set[str]], initial: Any
) -> Iterator[Found]:
    if initial not in states:
        return
    reached = _closure({initial}, edges)
    unreached = [name for name in states if name not in reached]
    reach, sources = _source_groups(unreached, edges)
    in_a_source = {n for group in sources for n in group}
    for group in sources:
        after = sorted(
            {n for g in group for n in reach[g]} - in_a_source, key=lambda n: states[n][0]
        )
        subject = f"state {_names(group)}" if len(group) == 1 else f"states {_names(group)}"
        verb = "cannot" if len(group) == 1 else "each cannot"
        message = f"{subject} {verb} be reached from the initial state '{initial}'"
        if after:
            message += f", and so neither can {_names(after)} after it"
        yield f"states[{states[group[0]][0]}]", "unreachable_state", message


def _ways_out(
    states: dict[str, tuple[int, dict[str, Any]]],
    edges: dict[str, set[str]],
    explained: frozenset[str],
) -> Iterator[Found]:
    terminal = {n for n, (_, raw) in states.items() if raw.get("kind") in TERMINAL_KINDS}
    reverse: dict[str, set[str]] = defaultdict(set)
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    can_finish = _closure(terminal, reverse)
    trapped = []
    for name, (index, _) in states.items():
        if name in terminal:
            continue
        if not edges.get(name):
            if name not in explained:
                yield (
                    f"states[{index}]",
                    "no_way_out",
                    f"state '{name}' is not final or failed but has no transition out of it",
                )
        elif name not in can_finish:
            trapped.append(name)
    # A trapped state leads only to dead ends (reported above) or to closed loops; each
    # loop is one problem, the states that merely lead into it are not.
    reach = {n: _closure({n}, edges) for n in trapped}
    reported: set[str] = set()
    for name in trapped:
        loop = [n for n in trapped if n in reach[name] and name in reach[n]]
        if name in reported or set(reach[name]) - set(loop):
            continue
        reported.update(loop)
        if len(loop) == 1:
            message = f"from state '{name}' no final or failed state can be reached"
        else:
            message = (
                f"states {_names(loop)} only lead to each other: from them no final or "
                "failed state can be reached"
            )
        yield (
            f"states[{states[name][0]}]",
            "no_path_to_end",
            message + ": an instance there would be trapped",
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
    words = {index: transition_words(raw) for index, raw in group}
    by_order: dict[int, int] = {}
    for index, raw in ordered:
        order = raw["order"]
        if order in by_order:
            yield (
                f"transitions[{index}].order",
                "duplicate_order",
                f"the transitions {words[by_order[order]]} and {words[index]} leave "
                f"'{source}' {trigger} with the same order {order}: give each a distinct order",
            )
        else:
            by_order[order] = index
    fallback_ok = (
        len(unordered) == 1
        and not is_guarded(unordered[0][1])
        and all(is_guarded(raw) for _, raw in ordered)
    )
    if unordered and not fallback_ok:
        others = ", ".join(words[i] for i, _ in group)
        for index, _ in unordered:
            yield (
                f"transitions[{index}]",
                "ambiguous_transition",
                f"the transitions {others} all leave '{source}' {trigger}, so more than one "
                "could fire: give each an explicit, distinct 'order' (one unguarded "
                "fallback without an order may follow guarded, ordered ones)",
            )
    # Behind an unguarded transition, higher orders can never fire.
    sequence = sorted(ordered, key=lambda item: (item[1]["order"], item[0]))
    for position, (index, raw) in enumerate(sequence):
        if not is_guarded(raw):
            for later, _ in sequence[position + 1 :]:
                yield (
                    f"transitions[{later}]",
                    "unreachable_transition",
                    f"the transition {words[index]} has no guard and a lower order, so "
                    f"this one ({words[later]}) can never fire",
                )
            break
