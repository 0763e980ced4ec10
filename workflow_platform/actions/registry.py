"""Names to code: the action types and the python callables that workflows may run.

Two small registries live here. *Action types* (``http``, ``python``, ``set``,
``subworkflow``, ``notify``) map a type name to a handler ``fn(call) -> ActionResult``;
the built-in ones register when :mod:`workflow_platform.actions.types` is imported (the
app's ``ready()`` does it). *Callables* are the functions that ``python`` actions name
in their params: installed apps register them with ``@register_callable("app.verb")``
at import time, so a definition can only run code that an installed app chose to
expose, never an arbitrary dotted path. :func:`run_action` dispatches a call to the
handler of its type.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .base import (
    ActionCall,
    ActionError,
    ActionResult,
    NonRetryableActionError,
    RetryableActionError,
)

Handler = Callable[[ActionCall], ActionResult]

_ACTION_TYPES: dict[str, Handler] = {}
_CALLABLES: dict[str, RegisteredCallable] = {}
_BUILTIN_MODULES = (
    "workflow_platform.actions.types",
    "workflow_platform.actions.demo",
)


@dataclass(frozen=True)
class RegisteredCallable:
    name: str
    fn: Callable[[ActionCall], Any]
    # Trivial, trusted callables (noop) may run on the worker's thread: no deadline
    # thread per call on the hot path of the benchmark.
    in_thread: bool = True


def register_action_type(name: str) -> Callable[[Handler], Handler]:
    """Decorator: make ``fn(call) -> ActionResult`` the handler of actions of ``name``."""

    def decorate(fn: Handler) -> Handler:
        _ACTION_TYPES[name] = fn
        return fn

    return decorate


def register_callable(
    name: str, *, in_thread: bool = True
) -> Callable[[Callable[[ActionCall], Any]], Callable[[ActionCall], Any]]:
    """Decorator: expose ``fn(call) -> Any | ActionResult`` to ``python`` actions as ``name``.

    ``fn`` gets the :class:`ActionCall`; a plain return value becomes the result's
    output. Registering a second, different function under a taken name raises
    ``ValueError`` (two apps fighting over a name is a bug, not an override).
    """
    if not name or not isinstance(name, str):
        raise ValueError("A callable needs a non-empty name like 'billing.charge'.")

    def decorate(fn: Callable[[ActionCall], Any]) -> Callable[[ActionCall], Any]:
        existing = _CALLABLES.get(name)
        if existing is not None and _qualname(existing.fn) != _qualname(fn):
            raise ValueError(f"The callable name '{name}' is already registered.")
        _CALLABLES[name] = RegisteredCallable(name=name, fn=fn, in_thread=in_thread)
        return fn

    return decorate


def _qualname(fn: Callable[..., Any]) -> str:
    # Module reloads (tests, autoreload) re-register the same function object anew.
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"


def load_builtins() -> None:
    """Import the modules that register the built-in types and the seed templates'
    callables, then those the ``WORKFLOW_CALLABLE_MODULES`` setting lists (the tests'
    and the benchmark's ``noop``/``fail``/``flaky``, or an installation's own)."""
    for module in (*_BUILTIN_MODULES, *settings.WORKFLOW_CALLABLE_MODULES):
        importlib.import_module(module)


def action_type(name: str) -> Handler:
    """The handler for action type ``name``; NonRetryableActionError when there is none."""
    if name not in _ACTION_TYPES:
        load_builtins()
    try:
        return _ACTION_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(_ACTION_TYPES)) or "none"
        raise NonRetryableActionError(
            f"Unknown action type '{name}' (known: {known}).", code="unknown_action_type"
        ) from None


def action_type_names() -> list[str]:
    load_builtins()
    return sorted(_ACTION_TYPES)


def get_callable(name: str) -> RegisteredCallable:
    """The callable registered as ``name``; NonRetryableActionError when there is none."""
    if name not in _CALLABLES:
        load_builtins()
    try:
        return _CALLABLES[name]
    except KeyError:
        raise NonRetryableActionError(
            f"No python callable is registered as '{name}'. Installed apps register "
            "callables with @register_callable(name).",
            code="unknown_callable",
        ) from None


def callable_names() -> list[str]:
    """Every registered callable name (the designer and validation may list them)."""
    load_builtins()
    return sorted(_CALLABLES)


def run_action(call: ActionCall) -> ActionResult:
    """Run ``call.action`` with the handler of its type and return its result.

    Promises: returns an :class:`ActionResult` or raises an :class:`ActionError`
    (never anything else: unexpected exceptions of a handler become a
    :class:`RetryableActionError`); enforces ``call.action.timeout`` (python callables
    run in a thread with a deadline, HTTP calls under an overall deadline) and raises
    :class:`ActionTimeout` past it. Touches no database rows of the engine.
    """
    handler = action_type(call.action.type)
    try:
        result = handler(call)
    except ActionError:
        raise
    except Exception as error:  # a bug in a handler must not kill the worker's loop
        raise RetryableActionError(
            f"Action '{call.action.name}' crashed: {type(error).__name__}: {error}",
            code="action_crashed",
        ) from error
    if not isinstance(result, ActionResult):
        raise NonRetryableActionError(
            f"Action type '{call.action.type}' returned {type(result).__name__}, "
            "not an ActionResult.",
            code="bad_result",
        )
    return result
