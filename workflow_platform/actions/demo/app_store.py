"""App-store submissions (seed 002's question): submit a binary, update a version, cancel.

The two callables that act on another instance of the tenant
(``check_submission_cancellable``, ``withdraw_submission``) need the engine, which sits
above the actions; they live in ``runtime/app_store_actions.py``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..base import ActionCall, ActionResult
from ..registry import register_callable
from .polls import first_poll


@register_callable("demo.validate_binary")
def validate_binary(call: ActionCall) -> dict[str, Any]:
    """Valid with a package name, an https URL to an .aab or .apk, and version_code >= 1."""
    url = str(call.data.get("binary_url") or "")
    code = call.data.get("version_code")
    if not call.data.get("package"):
        return {"valid": False, "reason": "The submission names no package."}
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.path.lower().endswith((".aab", ".apk")):
        return {"valid": False, "reason": "The binary must be an https URL to an .aab or .apk."}
    if not isinstance(code, int) or isinstance(code, bool) or code < 1:
        return {"valid": False, "reason": "version_code must be a whole number from 1."}
    return {"valid": True, "reason": "The binary is well formed."}


@register_callable("demo.start_binary_scan")
def start_binary_scan(call: ActionCall) -> dict[str, Any]:
    return {"job": f"scan-{call.data.get('package')}-{call.data.get('version_code')}"}


@register_callable("demo.binary_scan_status")
def binary_scan_status(call: ActionCall) -> ActionResult | dict[str, Any]:
    """Pending on the first poll; then "malware" when ``data.malware`` is true, else clean."""
    job = (call.data.get("scan_job") or {}).get("job")
    if first_poll(call, f"binary-scan:{job}"):
        return ActionResult(pending=True)
    return {"job": job, "verdict": "malware" if call.data.get("malware") else "clean"}


@register_callable("demo.publish_release")
def publish_release(call: ActionCall) -> dict[str, Any]:
    package = call.data.get("package")
    return {
        "release_id": f"rel-{call.idempotency_key}",
        "url": f"https://store.example/{package}",
        "version_name": call.data.get("version_name"),
    }


@register_callable("demo.unpublish_release")
def unpublish_release(call: ActionCall) -> dict[str, Any]:
    return {"unpublished": (call.data.get("release") or {}).get("release_id")}


@register_callable("demo.discard_binary")
def discard_binary(call: ActionCall) -> dict[str, Any]:
    return {"discarded": call.data.get("binary_url")}


@register_callable("demo.validate_version_update")
def validate_version_update(call: ActionCall) -> dict[str, Any]:
    """Valid when the version code grows (and, when given, the signing key is the same)."""
    new, current = call.data.get("version_code"), call.data.get("current_version_code")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (new, current)):
        return {"valid": False, "reason": "version_code and current_version_code are needed."}
    if new <= current:
        return {"valid": False, "reason": f"version_code {new} must exceed {current}."}
    key, current_key = call.data.get("signing_key"), call.data.get("current_signing_key")
    if key and current_key and key != current_key:
        return {"valid": False, "reason": "The update is signed with another key."}
    return {"valid": True, "reason": f"version_code {current} -> {new}."}


@register_callable("demo.start_staged_rollout")
def start_staged_rollout(call: ActionCall) -> dict[str, Any]:
    return {"rollout_id": f"ro-{call.idempotency_key}", "percent": 1}


@register_callable("demo.rollout_status")
def rollout_status(call: ActionCall) -> ActionResult | dict[str, Any]:
    """Still rolling out on the first poll; then at 100 percent."""
    rollout_id = (call.data.get("rollout") or {}).get("rollout_id")
    if first_poll(call, f"rollout:{rollout_id}"):
        return ActionResult(pending=True)
    return {"rollout_id": rollout_id, "percent": 100}


@register_callable("demo.halt_rollout")
def halt_rollout(call: ActionCall) -> dict[str, Any]:
    return {"halted": (call.data.get("rollout") or {}).get("rollout_id")}
