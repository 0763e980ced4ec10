"""How a webhook delivery proves where it comes from: HMAC-SHA256 over time and body.

Headers of every delivery::

    Webhook-Id: <event id>            the same on retries and replays (dedupe on it)
    Webhook-Timestamp: <unix seconds>
    Webhook-Signature: v1=<hex hmac-sha256(secret, "<timestamp>.<body>")>

A receiver recomputes the HMAC with its secret, compares in constant time and rejects
old timestamps (replayed captures). :func:`verify` is the reference implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(*, secret: str, event_id: str, body: bytes, now: float | None = None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {
        "Content-Type": "application/json",
        "Webhook-Id": event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret, timestamp, body),
    }


def verify(*, secret: str, headers: dict, body: bytes, now: float | None = None) -> bool:
    """True when ``headers`` sign ``body`` with ``secret`` recently enough."""
    try:
        timestamp = int(headers["Webhook-Timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, headers.get("Webhook-Signature", ""))
