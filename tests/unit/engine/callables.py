"""Callables the engine's unit tests run as ``python`` actions (registered once)."""

import time

from workflow_platform.actions.base import NonRetryableActionError, RetryableActionError
from workflow_platform.actions.registry import register_callable

CALLS: list[tuple[str, int]] = []  # (idempotency key, attempt) of every call


@register_callable("engine_tests.record", in_thread=False)
def record(call):
    CALLS.append((call.idempotency_key, call.attempt))
    return {"seen": call.data.get("n"), "key": call.idempotency_key}


@register_callable("engine_tests.fail_twice", in_thread=False)
def fail_twice(call):
    CALLS.append((call.idempotency_key, call.attempt))
    if call.attempt <= 2:
        raise RetryableActionError("not yet", code="flaky")
    return {"ok": True}


@register_callable("engine_tests.always_retryable", in_thread=False)
def always_retryable(call):
    CALLS.append((call.idempotency_key, call.attempt))
    raise RetryableActionError("down", code="unavailable")


@register_callable("engine_tests.broken", in_thread=False)
def broken(call):
    CALLS.append((call.idempotency_key, call.attempt))
    if not call.data.get("fixed"):
        raise NonRetryableActionError("bad card", code="card_declined")
    return {"ok": True}


@register_callable("engine_tests.not_json", in_thread=False)
def not_json(call):
    return {"when": object()}  # cannot be stored as JSON


SLOW_SECONDS = 1.0
TAKEOVERS: list[list[int]] = []  # what another worker's claim got during a slow action


@register_callable("engine_tests.slow_while_others_claim", in_thread=False)
def slow_while_another_worker_claims(call):
    from workflow_platform.engine import leases

    CALLS.append((call.idempotency_key, call.attempt))
    time.sleep(SLOW_SECONDS)  # several leases long
    taken = leases.claim(limit=1, owner="another-worker", ids=[call.instance_id])
    TAKEOVERS.append([inst.pk for inst in taken])
    return {"ok": True}


@register_callable("engine_tests.listing", in_thread=False)
def listing(call):
    return {"items": ["first", "second"]}
