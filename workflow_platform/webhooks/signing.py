"""How a webhook delivery proves where it comes from: Standard Webhooks, symmetric.

Every delivery carries the three headers of the Standard Webhooks specification
(https://www.standardwebhooks.com, v1.0), so a receiver can verify it with any of that
project's libraries unchanged::

    webhook-id: <event id>             the same on retries and replays (dedupe on it)
    webhook-timestamp: <unix seconds>  of this attempt
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>

The secret is ``whsec_`` followed by the base64 of 32 random bytes, and the HMAC key is
those bytes (the base64 after the prefix, decoded), as the specification says. Secrets
issued before this scheme (``whsec_`` + URL-safe text) are decoded the way the
reference libraries decode any secret, so their receivers verify with them too.

A receiver recomputes the signature over id, timestamp and body, compares in constant
time, and rejects timestamps more than five minutes away (replayed captures).
:func:`verify` is the reference implementation; docs/api.md shows the same in a few
lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker, not a secret
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    # The reference libraries pad and decode leniently (padding optional, stray
    # characters skipped); doing the same keeps every receiver's library in agreement.
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==")


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one attempt."""
    content = f"{event_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(*, secret: str, event_id: str, body: bytes, now: float | None = None) -> dict:
    timestamp = int(now if now is not None else time.time())
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


def verify(
    *, secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> bool:
    """True when ``headers`` sign ``body`` with ``secret`` recently enough."""
    headers = {name.lower(): value for name, value in headers.items()}
    event_id = headers.get("webhook-id", "")
    raw_timestamp = headers.get("webhook-timestamp", "")
    if not event_id or not (raw_timestamp.isascii() and raw_timestamp.isdigit()):
        return False
    timestamp = int(raw_timestamp)
    if abs((now if now is not None else time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    try:
        expected = signature(secret, event_id, timestamp, body)
    except binascii.Error:
        return False
    # A space-separated list: during a secret rotation a delivery carries several.
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers.get("webhook-signature", "").split()
    )
