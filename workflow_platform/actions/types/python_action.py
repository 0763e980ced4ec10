"""The ``python`` action type: run a callable that an installed app registered by name.

Params: ``{"callable": "demo.validate_order"}`` (other params are the callable's own,
read from ``call.action.params``). The callable runs on a helper thread and the worker
waits at most ``action.timeout`` for it; past that the step fails with
:class:`ActionTimeout` (retryable) while the thread may still finish its work: Python
cannot kill a thread, so the effect may still happen and the retry must be safe, which
is what the idempotency key is for (at-least-once, docs/actions.md).
"""

from __future__ import annotations

from typing import Any

from ..base import (
    ActionCall,
    ActionError,
    ActionResult,
    ActionTimeout,
    NonRetryableActionError,
    RetryableActionError,
    timeout_seconds,
)
from ..deadline import DeadlineExceeded, call_with_deadline
from ..registry import get_callable, register_action_type


@register_action_type("python")
def run_python(call: ActionCall) -> ActionResult:
    name = call.action.params.get("callable")
    if not name or not isinstance(name, str):
        raise NonRetryableActionError(
            f"Action '{call.action.name}' needs params.callable, the registered name to run.",
            code="missing_callable",
        )
    registered = get_callable(name)
    if registered.in_thread:
        value = _call_with_deadline(registered.fn, call)
    else:
        value = _call_mapping_errors(registered.fn, call)
    return value if isinstance(value, ActionResult) else ActionResult(output=value)


def _call_mapping_errors(fn, call: ActionCall) -> Any:
    """Call ``fn``; ActionErrors pass through, other exceptions are classified."""
    try:
        return fn(call)
    except ActionError:
        raise
    except Exception as error:
        raise classify(error, call) from error


def classify(error: Exception, call: ActionCall) -> ActionError:
    """A callable's own exception as an ActionError: retryable unless the action's
    retry policy lists its class name in ``non_retryable``."""
    name = type(error).__name__
    message = f"{call.action.params.get('callable')} raised {name}: {error}"
    if name in call.action.retry.non_retryable:
        return NonRetryableActionError(message, code=name)
    return RetryableActionError(message, code=name)


def _call_with_deadline(fn, call: ActionCall) -> Any:
    seconds = timeout_seconds(call)
    try:
        return call_with_deadline(_call_mapping_errors, fn, call, seconds=seconds)
    except DeadlineExceeded:
        raise ActionTimeout(
            f"Action '{call.action.name}' did not finish within {seconds:g}s; "
            "its effect may still happen and the retry reuses the idempotency key.",
        ) from None
