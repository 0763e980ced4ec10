"""Workflows the reliability specs run: chains of HTTP steps against the effect server."""

from __future__ import annotations

import itertools

from django.core.management import call_command

from tests.factories import make_tenant
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.tenancy.models import Tenant
from workflow_platform.tenancy.scoping import all_tenants

_n = itertools.count(1)


def loopback_tenant() -> Tenant:
    """A tenant whose HTTP actions may call the test server on 127.0.0.1."""
    return make_tenant(f"reliability-{next(_n)}", "Reliability", allow_private_network=True)


def http_chain(key: str, url: str, steps: int, *, max_attempts: int = 10) -> dict:
    """s1 → s2 → … → done: every transition POSTs to ``url`` with its idempotency key."""
    names = [f"s{i}" for i in range(1, steps + 1)] + ["done"]
    action = {
        "type": "http",
        "params": {"method": "POST", "url": url, "body": {"instance": "{{ data.i }}"}},
        "timeout": "10s",
        "retry": {"max_attempts": max_attempts, "initial_interval": "200ms", "jitter": 0.1},
    }
    return {
        "key": key,
        "initial": "s1",
        "states": [{"name": n} for n in names[:-1]] + [{"name": "done", "kind": "final"}],
        "transitions": [
            {"from": a, "to": b, "action": "effect"} for a, b in itertools.pairwise(names)
        ],
        "actions": {"effect": action},
    }


def statuses(tenant: Tenant) -> list[str]:
    return list(Instance.objects.for_tenant(tenant).values_list("status", flat=True))


def all_completed(tenant: Tenant, count: int) -> bool:
    return Instance.objects.for_tenant(tenant).filter(status="completed").count() == count


def expected_keys(tenant: Tenant, steps: int) -> set[str]:
    ids = Instance.objects.for_tenant(tenant).values_list("pk", flat=True)
    return {f"wi-{pk}-{step}" for pk in ids for step in range(1, steps + 1)}


def assert_one_transition_per_step(tenant: Tenant, steps: int) -> None:
    """Every instance: steps 1..n each taken by exactly one committed transition."""
    with all_tenants():
        for instance in Instance.objects.filter(tenant=tenant):
            taken = list(
                HistoryEvent.objects.filter(instance=instance, type="transitioned")
                .order_by("seq")
                .values_list("step", flat=True)
            )
            assert taken == list(range(1, steps + 1)), (instance.pk, taken)
            seqs = list(
                HistoryEvent.objects.filter(instance=instance)
                .order_by("seq")
                .values_list("seq", flat=True)
            )
            assert seqs == list(range(1, len(seqs) + 1)), (instance.pk, seqs)


def assert_replay_finds_no_difference() -> None:
    call_command("replay_history")  # raises CommandError on any difference
