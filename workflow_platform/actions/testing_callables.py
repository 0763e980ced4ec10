"""Callables that the tests and the benchmark run as ``python`` actions: ``noop``,
``fail``, ``flaky``, ``end_process``, ``hold_the_interpreter``.

They are not offered to tenants: this module registers them only where the
``WORKFLOW_CALLABLE_MODULES`` setting lists it (the test suites and ``bench/`` do;
``./run`` and production do not). Each one is deterministic: its behaviour depends only
on the call (data, attempt, idempotency key), so a retry or a re-run after a crash gives
the same answer, and several worker processes agree without shared state.
"""

from __future__ import annotations

import os
from typing import Any

from .base import ActionCall, NonRetryableActionError, RetryableActionError
from .registry import register_callable


@register_callable("noop", in_thread=False)
def noop(call: ActionCall) -> dict[str, Any]:
    """Does nothing and returns nothing worth mapping (the benchmark's step)."""
    return {}


@register_callable("fail")
def fail(call: ActionCall) -> None:
    """Always fails for good: a test's way to reach the saga or incident path."""
    message = call.action.params.get("message") or "The 'fail' callable always fails."
    raise NonRetryableActionError(str(message), code="failed_on_purpose")


@register_callable("flaky")
def flaky(call: ActionCall) -> dict[str, Any]:
    """Fails (retryable) on the first ``params.failures`` attempts (default 2), then succeeds.

    Keyed by the attempt number of this step, so every worker agrees on it.
    """
    failures = int(call.action.params.get("failures", 2))
    if call.attempt <= failures:
        raise RetryableActionError(
            f"Flaky failure {call.attempt} of {failures} for {call.idempotency_key}.",
            code="flaky",
        )
    return {"succeeded_on_attempt": call.attempt}


@register_callable("end_process")
def end_process(call: ActionCall) -> None:
    """Ends the worker process that runs it, every time: the poison step of the fault
    catalogue (a crash no ``except`` can catch, like an out-of-memory kill)."""
    os._exit(70)


@register_callable("hold_the_interpreter")
def hold_the_interpreter(call: ActionCall) -> None:
    """Hangs its worker process for hours: a loop in C that never lets go of the GIL, so
    neither the action's deadline nor the lease heartbeat can run (a hung C extension).
    Only Celery's hard time limit, enforced from the worker's main process, ends it."""
    sum(range(10**15))
