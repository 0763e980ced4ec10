"""API clients authenticated by a bearer token of a member with a given role."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_as(make_member, make_token):
    """``api_as(tenant, role)`` -> an APIClient carrying a fresh token of such a member."""

    def make(tenant, role: str = "admin", username: str | None = None):
        user = make_member(tenant, role, username=username)
        _, raw = make_token(tenant, user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.user = user
        return client

    return make


@pytest.fixture
def quiet_dispatch(monkeypatch):
    """Unit tests run the worker in-process (``run_worker``): no broker nudges."""
    from workflow_platform.engine import dispatch

    monkeypatch.setattr(dispatch, "send_now", lambda *args, **kwargs: None)


@pytest.fixture
def run_worker(quiet_dispatch):
    """Run the engine's executor in this process until nothing is ready."""
    from workflow_platform.engine import executor

    def run(rounds: int = 20) -> None:
        for _ in range(rounds):
            if not executor.run_ready():
                break

    return run


@pytest.fixture
def published(quiet_dispatch):
    """Store ``document`` as the published version 1 of its definition in ``tenant``."""
    from django.utils import timezone

    from workflow_platform.definitions.models import Definition, Version
    from workflow_platform.tenancy.scoping import tenant_scope

    def make(tenant, document: dict):
        document = {"format": "workflow-island/v1", **document}
        with tenant_scope(tenant):
            definition = Definition.objects.create(
                tenant=tenant, key=document["key"], name=document["key"]
            )
            (version,) = Version.objects.bulk_create(
                [
                    Version(
                        tenant=tenant, definition=definition, number=1, document=document,
                        status="published", published_at=timezone.now(),
                    )
                ]
            )  # fmt: skip
        return version

    return make


APPROVAL = {
    "key": "approval",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "human",
            "task": {
                "title": "Review {{ data.item }}",
                "form": {
                    "type": "object",
                    "properties": {"note": {"type": "string"}},
                    "required": ["note"],
                },
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


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Members are made by the dozen here; PBKDF2's deliberate slowness is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
