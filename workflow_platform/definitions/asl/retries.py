"""ASL ``Retry`` onto an action's retry policy, and back.

Our policy is one per action: the number of attempts, the first interval, the backoff,
a cap and a jitter. ASL retriers each name the errors they retry; one retrier that
retries every task failure (``States.ALL``, ``States.TaskFailed``, optionally with
``States.Timeout``) maps exactly. Retriers per error name do not: they are refused
where they stand, never dropped. No ``Retry`` means no retry in ASL: one attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..machine import parse_duration

RETRY_ALL = ({"States.ALL"}, {"States.TaskFailed"}, {"States.TaskFailed", "States.Timeout"})


def retry_policy(
    retriers: list[dict[str, Any]] | None, where: str, refuse: Callable[[str, str], None]
) -> dict[str, Any]:
    """Our ``retry`` for ASL ``retriers`` (located ``refuse`` for what does not map)."""
    if not retriers:
        return {"max_attempts": 1}
    if len(retriers) > 1:
        refuse(
            where,
            f"more than one retrier is not supported at `{where}` (one retrier "
            "for all task failures maps onto an action's retry policy)",
        )
    retrier = retriers[0]
    if set(retrier["ErrorEquals"]) not in RETRY_ALL:
        refuse(
            f"{where}[0].ErrorEquals",
            "a retrier for particular errors is not supported "
            f"at `{where}[0].ErrorEquals` (use States.ALL or States.TaskFailed)",
        )
    attempts, backoff = int(retrier.get("MaxAttempts", 3)), float(retrier.get("BackoffRate", 2.0))
    if attempts > 99:
        refuse(f"{where}[0].MaxAttempts", f"at most 99 retries are supported at `{where}[0]`")
    if backoff > 10:
        refuse(f"{where}[0].BackoffRate", f"a BackoffRate above 10 is not supported at "
               f"`{where}[0]`")  # fmt: skip
    policy: dict[str, Any] = {
        "max_attempts": min(attempts + 1, 100),
        "initial_interval": f"{retrier.get('IntervalSeconds', 1)}s",
        "backoff": min(backoff, 10.0),
        # ASL's default jitter is NONE; FULL spreads each delay over 0..2x its value here
        # (the same mean; Step Functions spreads it over 0..1x).
        "jitter": 1.0 if retrier.get("JitterStrategy") == "FULL" else 0.0,
    }
    if "MaxDelaySeconds" in retrier:
        policy["max_interval"] = f"{retrier['MaxDelaySeconds']}s"
    return policy


def retriers_of(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    """ASL ``Retry`` for our ``retry`` policy (empty: no retries)."""
    policy = policy or {}
    attempts = int(policy.get("max_attempts", 3))
    if attempts <= 1:
        return []
    retrier: dict[str, Any] = {"ErrorEquals": ["States.ALL"], "MaxAttempts": attempts - 1}
    retrier["IntervalSeconds"] = max(1, round(_seconds(policy.get("initial_interval", "1s"))))
    retrier["BackoffRate"] = float(policy.get("backoff", 2.0))
    if "max_interval" in policy:
        retrier["MaxDelaySeconds"] = max(1, round(_seconds(policy["max_interval"])))
    if float(policy.get("jitter", 0.2)) >= 1.0:
        retrier["JitterStrategy"] = "FULL"
    return [retrier]


def _seconds(duration: Any) -> float:
    value = parse_duration(duration)
    return value.total_seconds() if value else 0.0
