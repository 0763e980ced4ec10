"""Workflows the inbox's integration and browser tests run through the real engine
(published with :func:`tests.factories.publish`)."""

from __future__ import annotations

import copy

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


def escalating(due: str = "1s", to_group: str = "leads") -> dict:
    """EXPENSE whose review task is due after ``due`` and then escalates to ``to_group``."""
    document = copy.deepcopy(EXPENSE)
    document["key"] = "expense-escalating"
    task = document["states"][0]["task"]
    task["due"] = due
    task["escalate_to"] = {"group": to_group}
    return document
