"""Published workflow versions and a synchronous worker for the engine's unit tests."""

from __future__ import annotations

import itertools

import pytest

from tests import factories
from workflow_platform.definitions.models import Version
from workflow_platform.engine import dispatch


@pytest.fixture(autouse=True)
def nudges(monkeypatch):
    """Record the nudges instead of sending them: the tests run the worker themselves."""
    sent: list[tuple[str, str, int]] = []
    monkeypatch.setattr(
        dispatch, "send_now", lambda name, queue, count: sent.append((name, queue, count))
    )
    return sent


@pytest.fixture
def publish(tenant_a):
    """Publish a document as a new version (validation is the definitions app's job)."""

    def make(document: dict, tenant=None) -> Version:
        # Stored as published directly: these tests are about running, not publishing.
        return factories.publish(tenant or tenant_a, document)

    return make


def linear(n: int, *, action: dict | None = None, key: str | None = None) -> dict:
    """s0 → s1 → … → done, every transition automatic and running ``step`` if given."""
    states = [{"name": f"s{i}"} for i in range(n)] + [{"name": "done", "kind": "final"}]
    names = [s["name"] for s in states]
    transitions = [
        {"from": a, "to": b, **({"action": "step"} if action else {})}
        for a, b in itertools.pairwise(names)
    ]
    doc = {
        "initial": "s0",
        "states": states,
        "transitions": transitions,
        "actions": {"step": action} if action else {},
    }
    if key:
        doc["key"] = key
    return doc


@pytest.fixture
def work():
    """Run the worker in this process until nothing is ready (timers fire when due):
    ``work(*, timers=False, rounds=20)`` -> transitions made."""
    return factories.run_until_idle
