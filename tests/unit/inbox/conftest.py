"""Inbox fixtures: human tasks as the engine leaves them (rows made directly here, so the
inbox's rules are tested without running workflows; the browser tests run the engine)."""

from __future__ import annotations

import itertools

import pytest

from workflow_platform.definitions.models import Definition, Version
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask

_n = itertools.count(1)

REVIEW_DOCUMENT = {
    "format": "workflow-island/v1",
    "key": "expense",
    "name": "Expense approval",
    "initial": "review",
    "states": [
        {"name": "review", "kind": "human", "task": {"title": "Review {{ data.title }}"}},
        {"name": "paid", "kind": "final"},
        {"name": "rejected", "kind": "final"},
    ],
    "transitions": [
        {"from": "review", "to": "paid", "on": "approve"},
        {"from": "review", "to": "rejected", "on": "reject"},
    ],
}
REVIEW_FORM = {
    "type": "object",
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "title": "Approved amount"},
        "comment": {"type": "string", "maxLength": 500},
    },
    "required": ["amount"],
}


@pytest.fixture
def make_task(db):
    def make(tenant, *, group=None, assignee=None, title=None, data=None, **fields):
        with tenant_scope(tenant):
            definition, _ = Definition.objects.get_or_create(
                tenant=tenant, key="expense", defaults={"name": "Expense approval"}
            )
            version = Version.objects.filter(definition=definition).first()
            if version is None:
                version = Version(
                    tenant=tenant, definition=definition, number=1, document=REVIEW_DOCUMENT
                )
                version.save()
            instance = Instance(
                tenant=tenant, version=version, definition=definition, state="review",
                data=data or {"title": f"expense {next(_n)}"}, status="waiting",
            )  # fmt: skip
            instance.save()
            task = HumanTask(
                tenant=tenant, instance=instance, state="review",
                title=title or f"Review {instance.data.get('title', '')}",
                form=fields.pop("form", REVIEW_FORM), decisions=["approve", "reject"],
                group=group, assignee=assignee, **fields,
            )  # fmt: skip
            task.save()
        return task

    return make


@pytest.fixture
def ops(tenant_a, make_member):
    """Tenant A's 'ops' group with two operators, otto and olga."""
    otto = make_member(tenant_a, username="otto")
    olga = make_member(tenant_a, username="olga")
    add_to_group(tenant=tenant_a, group_name="ops", user=otto)
    group = add_to_group(tenant=tenant_a, group_name="ops", user=olga)
    return group, otto, olga


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Users are made in almost every test; the real hasher's cost buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
