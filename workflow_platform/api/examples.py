"""Success bodies for the OpenAPI docs of the main operations: one expense to approve,
followed from its start to its completed review task.

Each is what the operation really answers (``tests/unit/api/test_schema.py`` checks
that an example names exactly the fields its serializer returns), so a generated client
or a reader of /api/docs/ sees the real shape.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

_FORM = {
    "type": "object",
    "required": ["note"],
    "properties": {"note": {"type": "string"}},
}
_DOCUMENT = {
    "format": "workflow-island/v1",
    "key": "expense-approval",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "human",
            "task": {
                "title": "Approve {{ data.amount }} EUR for {{ data.employee }}",
                "assign": {"group": "approvers"},
                "form": _FORM,
            },
        },
        {"name": "approved", "kind": "final"},
        {"name": "rejected", "kind": "final"},
    ],
    "transitions": [
        {"from": "review", "to": "approved", "on": "approve"},
        {"from": "review", "to": "rejected", "on": "reject"},
    ],
}
INSTANCE = {
    "id": 42,
    "definition": "expense-approval",
    "version": 7,
    "version_number": 1,
    "state": "review",
    "status": "waiting",
    "data": {"amount": 120, "employee": "grace"},
    "business_key": "expense-2026-0042",
    "priority": 0,
    "step": 0,
    "has_incident": False,
    "last_error": "",
    "parent": None,
    "started_by": "ada",
    "created_at": "2026-03-02T09:15:00.120000Z",
    "updated_at": "2026-03-02T09:15:00.120000Z",
    "ended_at": None,
}
TASK = {
    "id": 314,
    "instance": 42,
    "definition": "expense-approval",
    "state": "review",
    "title": "Approve 120 EUR for grace",
    "form": _FORM,
    "decisions": ["approve", "reject"],
    "status": "open",
    "priority": 0,
    "group": "approvers",
    "assignee": None,
    "due_at": "2026-03-03T09:15:00Z",
    "escalated_at": None,
    "snoozed_until": None,
    "routing_reason": "group approvers",
    "created_at": "2026-03-02T09:15:00.130000Z",
    "claimed_at": None,
    "completed_at": None,
    "completed_by": None,
    "decision": "",
    "decision_data": None,
    "revision": 1,
}
COMPLETED_TASK = {
    **TASK,
    "status": "completed",
    "assignee": "ada",
    "claimed_at": "2026-03-02T10:01:12Z",
    "completed_at": "2026-03-02T10:01:40Z",
    "completed_by": "ada",
    "decision": "approve",
    "decision_data": {"note": "within budget"},
    "revision": 3,
}
VERSION = {
    "id": 7,
    "definition": 3,
    "definition_key": "expense-approval",
    "number": 1,
    "status": "published",
    "checksum": "9f2c4e0d1b7a4f3e8c6d5b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e",
    "document": _DOCUMENT,
    "created_at": "2026-03-01T16:20:00Z",
    "created_by": "ada",
    "published_at": "2026-03-01T16:45:00Z",
    "published_by": "ada",
}


def answer(name: str, value: dict, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, status_codes=[str(status)], response_only=True)


STARTED = answer("started", INSTANCE, 201)
REPLAYED = answer("replayed", INSTANCE, 200)  # the same Idempotency-Key again
READ_INSTANCE = answer("waiting for its review", INSTANCE)
TASK_LIST = answer("one open review", TASK)  # paginated by drf-spectacular
COMPLETED = answer("approved", COMPLETED_TASK)
READ_VERSION = answer("published v1", VERSION)
