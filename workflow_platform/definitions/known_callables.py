"""Which python callables a definition may name, as the actions layer tells us.

Definitions sit below actions, so they cannot ask the action registry themselves: the
actions app hands its ``callable_names`` over at start (``actions/apps.py``). Until it
does (a process without the actions app), no callable is known and every ``python``
action's callable is reported as unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_provider: Callable[[], Iterable[str]] = tuple


def provide(names: Callable[[], Iterable[str]]) -> None:
    """Install the function that lists the registered callables' names."""
    global _provider
    _provider = names


def names() -> set[str]:
    return set(_provider())
