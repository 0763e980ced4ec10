"""The one small interface between the engine and every action type.

The engine builds an :class:`ActionCall` (who, which step, which action, a copy of the
data, the attempt number and the step's stable idempotency key), calls
:func:`.registry.run_action` outside any database lock, and maps what comes back: an
:class:`ActionResult` on success, or an :class:`ActionError` whose ``retryable`` flag
decides between a durable retry timer and the saga/incident path. Action types
(``http``, ``python``, ``set``, ``subworkflow``, ``notify``) register themselves in
:mod:`.registry`; this module knows none of them. Actions run *at least once*: a
timeout or a crash after the effect re-runs the action with the same idempotency key,
so the dependency must deduplicate on it (docs/actions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_platform.definitions.machine import Action

__all__ = [
    "ActionCall",
    "ActionError",
    "ActionResult",
    "ActionTimeout",
    "ChildStart",
    "NonRetryableActionError",
    "RetryableActionError",
    "ThrottledError",
]


@dataclass(frozen=True)
class ActionCall:
    """Everything an action may know about the step it runs for."""

    tenant_id: int
    instance_id: int
    step: int  # the instance's step number, the same on every attempt
    idempotency_key: str  # "wi-<instance_id>-<step>", the same on every attempt
    action: Action
    data: dict
    attempt: int  # 1-based
    allow_private_network: bool


@dataclass
class ChildStart:
    """A child instance the engine must start; the parent continues when it ends."""

    definition_key: str
    data: dict


@dataclass
class ActionResult:
    output: Any = None  # the engine maps it into data with action.result_to / result_map
    data_updates: dict | None = None  # `set` type: keys to set in data
    pending: bool = False  # async operation not finished: the wait queue polls
    child: ChildStart | None = None  # subworkflow: start a child, continue when it ends


class ActionError(Exception):
    """An action that did not succeed; ``str(error)`` is a message for people.

    ``code`` is a stable machine-readable reason (``http_503``, ``timeout``,
    ``unknown_callable``...) that lands in history and incidents.
    """

    retryable: bool = False
    default_code = "action_failed"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def __str__(self) -> str:
        return self.message


class RetryableActionError(ActionError):
    """Worth another attempt: the retry policy decides when (or raises an incident)."""

    retryable = True
    default_code = "retryable"


class NonRetryableActionError(ActionError):
    """Another attempt would fail the same way: the step fails for good."""

    retryable = False
    default_code = "non_retryable"


class ThrottledError(RetryableActionError):
    """The dependency asked us to slow down (HTTP 429); honour ``retry_after`` seconds."""

    default_code = "throttled"

    def __init__(
        self, message: str, *, retry_after: float | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class ActionTimeout(RetryableActionError):
    """The action did not finish within ``action.timeout``; its effect may still happen."""

    default_code = "timeout"


def max_action_timeout() -> float:
    """``WORKFLOW_MAX_ACTION_TIMEOUT`` in seconds: no action runs longer (the broker
    redelivers a message whose action outlives 4x that cap)."""
    from django.conf import settings

    return float(getattr(settings, "WORKFLOW_MAX_ACTION_TIMEOUT", 300))


def timeout_of(action: Action) -> float:
    """How long ``action`` may run, in seconds: its timeout, capped by the maximum."""
    return max(min(action.timeout.total_seconds(), max_action_timeout()), 0.001)


def timeout_seconds(call: ActionCall) -> float:
    """The timeout of the call's action (:func:`timeout_of`)."""
    return timeout_of(call.action)
