"""Published workflow versions and a synchronous worker for the engine's unit tests."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from workflow_platform.definitions.models import Definition, Version
from workflow_platform.engine import dispatch, executor, scheduler
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import all_tenants, tenant_scope

_keys = itertools.count(1)


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
        tenant = tenant or tenant_a
        document = {"format": "workflow-island/v1", **document}
        document.setdefault("key", f"wf-{next(_keys)}")
        with tenant_scope(tenant):
            definition, _ = Definition.objects.get_or_create(
                tenant=tenant, key=document["key"], defaults={"name": document["key"]}
            )
            number = definition.versions.count() + 1
            # Stored as published directly: these tests are about running, not publishing.
            (version,) = Version.objects.bulk_create(
                [
                    Version(
                        tenant=tenant,
                        definition=definition,
                        number=number,
                        document=document,
                        status="published",
                        published_at=timezone.now(),
                    )
                ]
            )
        return Version.objects.for_tenant(tenant).select_related("definition").get(pk=version.pk)

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
    """Run the worker in this process until nothing is ready (timers fire when due)."""

    def run(*, timers: bool = False, rounds: int = 20) -> int:
        made = 0
        for _ in range(rounds):
            if timers:
                scheduler.sweep_due_timers(now=timezone.now() + timezone.timedelta(days=1))
            made += executor.run_ready()
            with all_tenants():
                if not timers and not Instance.objects.filter(ready=True).exists():
                    break
        return made

    return run
