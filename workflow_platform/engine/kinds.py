"""State kinds as activations, and the journal's hooks: the engine's extension points.

The step layer (:mod:`.stepping`) knows the kinds every machine has (``normal``,
``final``, ``failed``). Every other kind (``wait``, ``parallel``, ``human``) is an
*activation* registered here by the module that owns it, with hooks called when an
instance enters or leaves a state of that kind, in memory (docs/adr/0011-state-kinds-as-
activations.md). What a kind must write in the commit is a *journal hook*, called by
:mod:`.journal` in one of its phases with all the moves of the commit:

- ``before_rows``: before the moves' side rows (a subworkflow child starts, so its id
  can be recorded in the parent's history event);
- ``rows``: the rows the kind opens or closes for the moves (human tasks);
- ``after_rows``: what follows from the rows (a fan-out's first children start);
- ``children_ended``: a child ended in this commit; its parent (locked first) learns it.

Two more extension points: what closes with an instance that is cancelled
(``on_drop``), and what fires a timer of a kind the engine does not own
(``timer_handler``). Registration happens at import; ``engine.apps`` imports the
built-in kinds, and an app such as the worklist registers its own in ``ready()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_platform.tenancy.models import Tenant

PHASES = ("before_rows", "rows", "after_rows", "children_ended")

Hook = Callable[[list[Any], datetime], None]
EnterHook = Callable[[Any, Any, Any, datetime], None]  # (move, machine, state, now)


@dataclass(frozen=True)
class Activation:
    """What entering or leaving a state of one kind does to a move, in memory.

    ``enter`` runs after the state's own timers are scheduled and before the instance
    parks (``waiting``): a kind opens its rows there (a task, a wait timer, a fan-out
    plan). ``leave`` runs when a transition takes the instance out of such a state.
    """

    kind: str
    enter: EnterHook | None = None
    leave: EnterHook | None = None


_activations: dict[str, Activation] = {}
_hooks: dict[str, list[Hook]] = {phase: [] for phase in PHASES}
_drops: list[Callable[..., None]] = []
_timer_handlers: dict[str, Callable[..., None]] = {}


def register(activation: Activation) -> Activation:
    """Register a state kind's activation (once per kind; a second registration replaces)."""
    _activations[activation.kind] = activation
    return activation


def activation(kind: str) -> Activation | None:
    return _activations.get(kind)


def journal_hook(phase: str) -> Callable[[Hook], Hook]:
    """Decorator: call ``fn(moves, now)`` in ``phase`` of every journal write."""
    if phase not in PHASES:
        raise ValueError(f"unknown journal phase {phase!r}; one of {', '.join(PHASES)}")

    def add(fn: Hook) -> Hook:
        if fn not in _hooks[phase]:
            _hooks[phase].append(fn)
        return fn

    return add


def run_hooks(phase: str, moves: Iterable[Any], *, now: datetime) -> None:
    moves = list(moves)
    if moves:
        for fn in _hooks[phase]:
            fn(moves, now)


def on_drop(fn: Callable[..., None]) -> Callable[..., None]:
    """Decorator: ``fn(tenant, instance, now=, user=)`` closes a kind's open rows of an
    instance that is cancelled (in the cancel's transaction)."""
    if fn not in _drops:
        _drops.append(fn)
    return fn


def drop_all(tenant: Tenant, instance, *, now: datetime, user=None) -> None:
    for fn in _drops:
        fn(tenant, instance, now=now, user=user)


def timer_handler(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Decorator: ``fn(timer, now=)`` applies a due timer of ``kind`` (the scheduler's
    sweep marks it fired in the same transaction)."""

    def add(fn: Callable[..., None]) -> Callable[..., None]:
        _timer_handlers[kind] = fn
        return fn

    return add


def handler_of_timer(kind: str) -> Callable[..., None] | None:
    return _timer_handlers.get(kind)


_migration_checks: list[Callable[..., list[tuple[str, str]]]] = []
_migrated: list[Callable[..., None]] = []


def migration_check(fn: Callable[..., list[tuple[str, str]]]) -> Callable[..., list]:
    """Decorator: ``fn(instance, machine, to_state, version_number)`` lists the
    ``(code, message)`` problems a kind's open rows make for migrating the instance to
    ``to_state`` of the new version's ``machine``."""
    if fn not in _migration_checks:
        _migration_checks.append(fn)
    return fn


def migration_problems(instance, machine, to_state: str, version_number: int) -> list:
    return [p for fn in _migration_checks for p in fn(instance, machine, to_state, version_number)]


def on_migrated(fn: Callable[..., None]) -> Callable[..., None]:
    """Decorator: ``fn(instance, to_state)`` moves a kind's open rows with a migrated
    instance whose state was renamed (in the migration's transaction)."""
    if fn not in _migrated:
        _migrated.append(fn)
    return fn


def migrated(instance, to_state: str) -> None:
    for fn in _migrated:
        fn(instance, to_state)
