"""Signals on real workers and PostgreSQL (#18): 1,000 events sent to busy instances are
each taken once, in the order sent, while worker processes move the instances."""

from __future__ import annotations

import threading

from django.db import connection

from tests.factories import publish
from tests.reliability.conftest import wait_for
from tests.reliability.workflows import loopback_tenant
from workflow_platform.engine import services
from workflow_platform.engine.models import BufferedEvent, HistoryEvent, Instance
from workflow_platform.tenancy.scoping import all_tenants

SIGNALLED = {
    "key": "signalled",
    "initial": "collect",
    "states": [{"name": "collect"}, {"name": "work"}, {"name": "done", "kind": "final"}],
    "transitions": [
        {"from": "collect", "to": "work", "on": "item", "action": "step"},
        {"from": "work", "to": "collect"},
        {"from": "collect", "to": "done", "on": "finish"},
    ],
    "actions": {"step": {"type": "python", "params": {"callable": "noop"}}},
}
INSTANCES, ITEMS = 10, 100


def test_a_thousand_signals_to_busy_instances_are_each_taken_once_in_order(start_worker):
    tenant = loopback_tenant()
    publish(tenant, SIGNALLED)
    start_worker(queues="steps,starts", concurrency=2)
    instances = [
        services.start_instance(tenant=tenant, definition_key="signalled", data={}).pk
        for _ in range(INSTANCES)
    ]
    errors = []

    def signal(instance_id):
        try:
            for n in range(ITEMS):
                services.send_event(
                    tenant=tenant, instance_id=instance_id, event="item", payload={"n": n},
                    idempotency_key=f"item-{n}",
                )  # fmt: skip
            services.send_event(tenant=tenant, instance_id=instance_id, event="finish")
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=signal, args=(pk,)) for pk in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    wait_for(
        lambda: Instance.objects.for_tenant(tenant).filter(status="completed").count() == INSTANCES,
        timeout=120,
        message="not every signalled instance completed",
    )
    with all_tenants():
        for pk in instances:
            taken = list(
                HistoryEvent.objects.filter(instance_id=pk, type="event_accepted")
                .order_by("seq")
                .values_list("event", "detail")
            )
            payloads = [(event, (detail or {}).get("payload")) for event, detail in taken]
            assert payloads == [*[("item", {"n": n}) for n in range(ITEMS)], ("finish", None)]
            assert Instance.objects.get(pk=pk).events_queued == 0
        rows = BufferedEvent.objects.filter(instance_id__in=instances)
        assert rows.count() == INSTANCES * (ITEMS + 1)
        assert set(rows.values_list("status", flat=True)) == {"delivered"}
        # The mailbox was really used: most events arrived while their instance was busy.
        queued_first = sum(1 for row in rows if row.settled_at > row.sent_at)
        assert queued_first >= INSTANCES * ITEMS // 2, queued_first
