"""Upload and virus scan behind a queue (seed 001's queue-based load leveling)."""

from __future__ import annotations

from typing import Any

from ..base import ActionCall, ActionResult, NonRetryableActionError
from ..registry import register_callable
from .polls import first_poll


@register_callable("demo.submit_scan")
def submit_scan(call: ActionCall) -> dict[str, Any]:
    upload_id = call.data.get("upload_id")
    if not upload_id:
        raise NonRetryableActionError("The upload has no upload_id.", code="bad_upload")
    return {"scan_id": f"scan-{upload_id}"}


@register_callable("demo.scan_status")
def scan_status(call: ActionCall) -> ActionResult | dict[str, Any]:
    """Pending on the first poll; then infected when the file name contains "eicar"."""
    scan_id = (call.data.get("scan") or {}).get("scan_id")
    if first_poll(call, f"scan:{scan_id}"):
        return ActionResult(pending=True)
    infected = "eicar" in str(call.data.get("filename", "")).lower()
    return {"scan_id": scan_id, "verdict": "infected" if infected else "clean"}


@register_callable("demo.quarantine_upload")
def quarantine_upload(call: ActionCall) -> dict[str, Any]:
    return {"quarantined": call.data.get("upload_id")}
