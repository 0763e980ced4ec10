"""Engine promises that need the real PostgreSQL and a real worker process."""

import threading

from django.db import connection

from tests.reliability.conftest import wait_for
from tests.reliability.workflows import loopback_tenant, publish
from workflow_platform.engine import services
from workflow_platform.engine.models import HumanTask, Instance
from workflow_platform.errors import Conflict


def test_concurrent_starts_with_one_idempotency_key_make_one_instance(transactional_db):
    tenant = loopback_tenant()
    publish(tenant, {"key": "once", "initial": "hold", "states": [{"name": "hold"}],
                     "transitions": []})  # fmt: skip
    barrier = threading.Barrier(4)
    results, errors = [], []

    def start():
        try:
            barrier.wait()
            results.append(services.start_instance(
                tenant=tenant, definition_key="once", data={"a": 1}, idempotency_key="same"
            ).pk)  # fmt: skip
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(results)) == 1
    assert Instance.objects.for_tenant(tenant).count() == 1


def test_a_decided_human_task_resumes_the_instance_on_a_worker(start_worker, make_member):
    tenant = loopback_tenant()
    publish(tenant, {
        "key": "approval", "initial": "review",
        "states": [
            {"name": "review", "kind": "human", "task": {
                "title": "Approve {{ data.item }}",
                "form": {"type": "object", "required": ["ok"],
                         "properties": {"ok": {"type": "boolean"}}}}},
            {"name": "record"}, {"name": "done", "kind": "final"},
        ],
        "transitions": [
            {"from": "review", "to": "record", "on": "approve"},
            {"from": "record", "to": "done", "action": "note"},
        ],
        "actions": {"note": {"type": "set", "params": {"set": {"noted": True}}}},
    })  # fmt: skip
    start_worker(queues="steps,starts", concurrency=1)
    instance = services.start_instance(tenant=tenant, definition_key="approval",
                                       data={"item": "laptop"})  # fmt: skip
    task = HumanTask.objects.for_tenant(tenant).get(instance=instance)
    user = make_member(tenant)
    services.complete_human_task(tenant=tenant, task_id=task.pk, user=user, decision="approve",
                                 data={"ok": True})  # fmt: skip
    done = wait_for(
        lambda: Instance.objects.for_tenant(tenant).filter(pk=instance.pk, status="completed")
        .first(), timeout=60,
    )  # fmt: skip
    assert (done.data["ok"], done.data["item"], done.data["noted"]) == (True, "laptop", True)
    try:
        services.complete_human_task(tenant=tenant, task_id=task.pk, user=user,
                                     decision="approve", data={"ok": True})  # fmt: skip
    except Conflict as error:
        assert error.code == "task_already_completed"
    else:
        raise AssertionError("a second decision was accepted")
