"""The ``notify`` action type: tell people (email) or systems (signed webhook).

Email params: ``{"channel": "email", "to": [...] | "a@b, c@d", "subject": ..., "body":
..., "from": optional}``, sent with Django's mail framework (``EMAIL_BACKEND``), with a
``Message-ID`` derived from the idempotency key so a mail client or relay can drop the
duplicate that a retry may send.

Webhook params: ``{"channel": "webhook", "url": ..., "payload": {...}, "signing_secret":
name, "event": optional}``: a JSON POST through the same guarded HTTP client as the
``http`` type (SSRF guard, Idempotency-Key, status classification), signed with
``X-Workflow-Signature: sha256=<hex HMAC-SHA256 of the body>`` under the named secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email

from ..base import (
    ActionCall,
    ActionResult,
    NonRetryableActionError,
    RetryableActionError,
    timeout_seconds,
)
from ..http_client import send
from ..registry import register_action_type
from ..services import reveal_secret
from ..templating import render_text, render_url, render_value, template_names
from .http_action import require_http_url

SIGNATURE_HEADER = "X-Workflow-Signature"


@register_action_type("notify")
def run_notify(call: ActionCall) -> ActionResult:
    channel = call.action.params.get("channel", "email")
    if channel == "email":
        return _email(call)
    if channel == "webhook":
        return _webhook(call)
    raise NonRetryableActionError(
        f"params.channel '{channel}' is not 'email' or 'webhook'.", code="bad_params"
    )


def _recipients(raw: Any, names: dict[str, Any]) -> list[str]:
    value = render_value(raw, names, where="params.to")
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise NonRetryableActionError("params.to must be addresses.", code="bad_params")
    found = [str(item).strip() for item in value if str(item).strip()]
    if not found:
        raise NonRetryableActionError("params.to names no recipient.", code="bad_params")
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            raise NonRetryableActionError(
                f"'{address}' is not an email address.", code="bad_recipient"
            ) from None
    return found


def _email(call: ActionCall) -> ActionResult:
    params = call.action.params
    names = template_names(call)
    recipients = _recipients(params.get("to"), names)
    subject = render_text(params.get("subject", ""), names, where="params.subject")
    body = render_text(params.get("body", ""), names, where="params.body")
    if "\n" in subject or "\r" in subject:
        raise NonRetryableActionError("The subject would span lines.", code="bad_params")
    message_id = f"<{call.idempotency_key}@workflow-island>"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=params.get("from") or settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": message_id},
    )
    try:
        sent = message.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        raise NonRetryableActionError(
            f"The mail server refused: {error}", code="mail_refused"
        ) from None
    except (smtplib.SMTPException, OSError) as error:
        raise RetryableActionError(
            f"Could not send the email: {error}", code="mail_failed"
        ) from None
    return ActionResult(
        output={"channel": "email", "sent": sent, "to": recipients, "message_id": message_id}
    )


def signature(secret: str, body: bytes) -> str:
    """The ``X-Workflow-Signature`` value a receiver recomputes to trust the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _webhook(call: ActionCall) -> ActionResult:
    params = call.action.params
    names = template_names(call)
    url = render_url(params.get("url"), names)
    require_http_url(url)
    body = json.dumps(
        {
            "event": params.get("event") or call.action.name,
            "instance_id": call.instance_id,
            "step": call.step,
            "idempotency_key": call.idempotency_key,
            "sent_at": datetime.now(UTC).isoformat(),
            "payload": render_value(params.get("payload") or {}, names, where="params.payload"),
        },
        default=str,
        sort_keys=True,
    ).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": call.idempotency_key}
    revealed: tuple[str, ...] = ()
    if params.get("signing_secret"):
        secret = reveal_secret(tenant_id=call.tenant_id, name=str(params["signing_secret"]))
        headers[SIGNATURE_HEADER] = signature(secret, body)
        revealed = (secret,)
    response = send(
        method="POST",
        url=url,
        headers=headers,
        content=body,
        timeout=timeout_seconds(call),
        allow_private_network=call.allow_private_network,
        secrets=revealed,
    )
    return ActionResult(output={"channel": "webhook", "status": response.status})
