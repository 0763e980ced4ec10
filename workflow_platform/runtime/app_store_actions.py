"""The app-store demo's callables that act on another instance of the same tenant.

Cancelling a submission is an event (``withdraw``) sent to the submission's own
instance, which then discards the binary itself. They need the engine's selectors and
services, and actions sit below the engine, so they are registered from the runtime
app (``apps.py``) instead of ``actions/demo``.
"""

from __future__ import annotations

from typing import Any

from workflow_platform.actions.base import (
    ActionCall,
    NonRetryableActionError,
)
from workflow_platform.actions.registry import register_callable
from workflow_platform.engine.selectors import instance_detail
from workflow_platform.engine.services import send_event
from workflow_platform.errors import Conflict, NotFound
from workflow_platform.tenancy.models import Tenant

CANCELLABLE_STATES = ("scanning", "in_review")
WITHDRAWN_STATE = "withdrawn"
SUBMISSION_KEY = "app-submission"


def _submission(call: ActionCall):
    """The tenant's app-submission instance named by ``data.submission_instance_id``."""
    instance_id = call.data.get("submission_instance_id")
    if not isinstance(instance_id, int) or isinstance(instance_id, bool):
        return None
    try:
        instance = instance_detail(Tenant.objects.get(pk=call.tenant_id), instance_id)
    except NotFound:
        return None
    return instance if instance.definition.key == SUBMISSION_KEY else None


@register_callable("demo.check_submission_cancellable")
def check_submission_cancellable(call: ActionCall) -> dict[str, Any]:
    submission = _submission(call)
    if submission is None:
        return {"ok": False, "reason": "There is no such app submission."}
    if submission.state in CANCELLABLE_STATES:
        return {"ok": True, "reason": f"The submission is {submission.state}."}
    return {
        "ok": False,
        "reason": f"The submission is already {submission.state}; it can no longer be cancelled.",
    }


@register_callable("demo.withdraw_submission")
def withdraw_submission(call: ActionCall) -> dict[str, Any]:
    """Send ``withdraw`` to the submission; already withdrawn counts as done (retries)."""
    submission = _submission(call)
    if submission is None:
        raise NonRetryableActionError("There is no such app submission.", code="not_found")
    if submission.state == WITHDRAWN_STATE:
        return {"withdrawn": submission.pk}
    try:
        # A busy submission keeps the event in its mailbox; the step's key makes a
        # retried attempt send it once.
        sent = send_event(
            tenant=Tenant.objects.get(pk=call.tenant_id),
            instance_id=submission.pk,
            event="withdraw",
            payload={"requested_by": call.idempotency_key},
            idempotency_key=call.idempotency_key,
        )
    except Conflict as error:
        raise NonRetryableActionError(str(error), code=error.code) from None
    return {"withdrawn": submission.pk, "event": sent.event.status}
