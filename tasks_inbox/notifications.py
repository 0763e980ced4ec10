"""Optional emails when a task is assigned to someone or escalated (``WORKFLOW_INBOX_EMAILS``).

Sent after the transaction commits (a rolled-back assignment mails nobody) with
Django's ``send_mail``; a mail failure is logged, never raised into the engine. Members
who are away are not mailed: the inbox shows them the task when they are back. A mail is
read outside the site, so its link is absolute: the ``WORKFLOW_SITE_URL`` setting (from
the environment; default ``http://localhost:8000``, where ``./run`` serves).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from workflow_platform.tenancy.models import Membership

log = logging.getLogger(__name__)
MAILED_CHANGES = ("created", "reassigned", "escalated")
DEFAULT_SITE_URL = "http://localhost:8000"


def enabled() -> bool:
    return bool(getattr(settings, "WORKFLOW_INBOX_EMAILS", False))


def site_url() -> str:
    """Where people reach the platform, e.g. ``https://workflows.example.com`` (no slash)."""
    return (getattr(settings, "WORKFLOW_SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def recipients_for(task, change: str) -> list[str]:
    """Assignee, or (escalated without one) the group's members; away members left out."""
    if task.assignee_id:
        user_ids = [task.assignee_id]
    elif change == "escalated" and task.group_id:
        user_ids = list(task.group.members.values_list("pk", flat=True))
    else:
        return []
    away = {
        m.user_id
        for m in Membership.objects.for_tenant(task.tenant).filter(user_id__in=user_ids)
        if m.is_away()
    }
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(pk__in=away)
    return sorted(u.email for u in users if u.email)


def on_task_changed(task, change: str) -> None:
    if not enabled() or change not in MAILED_CHANGES:
        return
    if change == "created" and not task.assignee_id:
        return
    recipients = recipients_for(task, change)
    if not recipients:
        return
    subject = ("Escalated: " if change == "escalated" else "Assigned to you: ") + task.title
    link = site_url() + reverse("inbox:task", args=[task.pk])
    body = (
        f"{task.title}\n\nOpen it in the inbox: {link}\n"
        + (f"Due: {task.due_at:%Y-%m-%d %H:%M} UTC\n" if task.due_at else "")
        + (f"Why: {task.routing_reason}\n" if task.routing_reason else "")
    )

    def send() -> None:
        try:
            send_mail(subject[:200], body, None, recipients)
        except Exception:  # mail is a courtesy; the task is already in the inbox
            log.exception("task email for task %s failed", task.pk)

    transaction.on_commit(send)
