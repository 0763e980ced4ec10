"""Workflows the inbox's integration and browser tests run through the real engine."""

from __future__ import annotations

import copy

from django.utils import timezone

from workflow_platform.definitions.models import Definition, Version
from workflow_platform.tenancy.scoping import tenant_scope

EXPENSE = {
    "format": "workflow-island/v1",
    "key": "expense",
    "name": "Expense approval",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "human",
            "task": {
                "title": "Approve {{ data.purpose }}",
                "assign": {"group": "ops"},
                "due": "2h",
                "form": {
                    "type": "object",
                    "properties": {"amount": {"type": "integer", "minimum": 1,
                                              "title": "Approved amount"}},
                    "required": ["amount"],
                },
            },
        },
        {"name": "paid", "kind": "final"},
        {"name": "rejected", "kind": "final"},
    ],
    "transitions": [
        {"from": "review", "to": "paid", "on": "approve"},
        {"from": "review", "to": "rejected", "on": "reject"},
    ],
}  # fmt: skip


def publish(tenant, document):
    with tenant_scope(tenant):
        definition = Definition.objects.create(
            tenant=tenant, key=document["key"], name=document["name"]
        )
        # Stored as published directly: the publish service is the definitions' job,
        # tested there (a bulk status update is refused, so a draft is never skipped past).
        Version.objects.bulk_create(
            [Version(tenant=tenant, definition=definition, number=1, document=document,
                     status="published", published_at=timezone.now())]
        )  # fmt: skip


def escalating(due: str = "1s", to_group: str = "leads") -> dict:
    """EXPENSE whose review task is due after ``due`` and then escalates to ``to_group``."""
    document = copy.deepcopy(EXPENSE)
    document["key"] = "expense-escalating"
    task = document["states"][0]["task"]
    task["due"] = due
    task["escalate_to"] = {"group": to_group}
    return document
