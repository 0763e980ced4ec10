"""API clients authenticated by a bearer token of a member with a given role."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def api_as(db):
    """``api_as(tenant, role)`` -> an APIClient carrying a fresh token of such a member."""

    def make(tenant, role: str = "admin", username: str | None = None):
        return factories.api_client(tenant, factories.make_member(tenant, role, username))

    return make


@pytest.fixture
def quiet_dispatch(monkeypatch):
    """Unit tests run the worker in-process (``run_worker``): no broker nudges."""
    from workflow_platform.engine import dispatch

    monkeypatch.setattr(dispatch, "send_now", lambda *args, **kwargs: None)


@pytest.fixture
def run_worker(quiet_dispatch):
    """Run the engine's executor in this process until a round runs nothing:
    ``run_worker(rounds=20)``."""

    def run(rounds: int = 20) -> None:
        factories.run_until_idle(rounds=rounds, until="nothing_ran")

    return run


@pytest.fixture
def published(quiet_dispatch):
    """Store ``document`` as the published version 1 of its definition in ``tenant``:
    ``published(tenant, document)`` (:func:`tests.factories.publish`)."""
    return factories.publish


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
