"""Python actions the resilience specs run: each records (callable, idempotency key)."""

from workflow_platform.actions.base import (
    ActionResult,
    NonRetryableActionError,
    RetryableActionError,
    ThrottledError,
)
from workflow_platform.actions.registry import register_callable

CALLS: list[tuple[str, str]] = []
FAILURES: dict[str, int] = {}  # callable name -> how many more calls fail (retryably)
POLLS: dict[str, int] = {}  # "poll" -> how many more polls answer "pending"
TOKENS: list[str] = []  # wait tokens handed to actions


def _record(name, call):
    CALLS.append((name, call.idempotency_key))
    if "wait" in call.data:
        TOKENS.append(call.data["wait"]["token"])
    if FAILURES.get(name, 0) > 0:
        FAILURES[name] -= 1
        raise RetryableActionError(f"{name} is down", code="unavailable")


for _name in ("reserve", "charge", "unreserve", "refund", "submit", "step"):

    def _make(name):
        @register_callable(f"resilience.{name}", in_thread=False)
        def action(call):
            _record(name, call)
            return {"did": name}

        return action

    _make(_name)


@register_callable("resilience.ship", in_thread=False)
def ship(call):
    _record("ship", call)
    raise NonRetryableActionError("the warehouse refused", code="refused")


@register_callable("resilience.refund_broken", in_thread=False)
def refund_broken(call):
    _record("refund_broken", call)
    if not call.data.get("fixed"):
        raise NonRetryableActionError("refund refused", code="refund_refused")
    return {"did": "refund"}


@register_callable("resilience.poll", in_thread=False)
def poll(call):
    CALLS.append(("poll", call.idempotency_key))
    if POLLS.get("poll", 0) > 0:
        POLLS["poll"] -= 1
        return ActionResult(pending=True)
    return {"report": "ready"}


@register_callable("resilience.refund_paced", in_thread=False)
def refund_paced(call):
    _record("refund_paced", call)
    if FAILURES.get("paced", 0) > 0:
        FAILURES["paced"] -= 1
        raise ThrottledError("slow down", retry_after=30)
    return {"did": "refund"}
