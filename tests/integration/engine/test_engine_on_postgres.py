"""Engine promises that need the real PostgreSQL and a real worker process."""

import contextlib
import threading

from django.db import connection

from tests.factories import publish
from tests.reliability.conftest import wait_for
from tests.reliability.workflows import loopback_tenant
from workflow_platform.engine import dispatch, executor, fanout, leases, services
from workflow_platform.engine.journal import write_moves
from workflow_platform.engine.models import Instance
from workflow_platform.errors import Conflict
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.worklist import services as worklist
from workflow_platform.worklist.models import HumanTask


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


def test_concurrent_bulk_starts_with_the_same_keys_start_each_once(transactional_db):
    tenant = loopback_tenant()
    publish(tenant, {"key": "many", "initial": "hold", "states": [{"name": "hold"}],
                     "transitions": []})  # fmt: skip
    items = [{"data": {"n": n}, "idempotency_key": f"order-{n}"} for n in range(20)]
    barrier = threading.Barrier(4)
    results, errors = [], []

    def start():
        try:
            barrier.wait()
            started = services.start_instances(tenant=tenant, definition_key="many", items=items)
            results.append([inst.pk for inst in started])
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
    assert len({tuple(r) for r in results}) == 1  # every call answered with the same ones
    assert Instance.objects.for_tenant(tenant).count() == 20


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
    worklist.complete_human_task(tenant=tenant, task_id=task.pk, user=user, decision="approve",
                                 data={"ok": True})  # fmt: skip
    done = wait_for(
        lambda: Instance.objects.for_tenant(tenant).filter(pk=instance.pk, status="completed")
        .first(), timeout=60,
    )  # fmt: skip
    assert (done.data["ok"], done.data["item"], done.data["noted"]) == (True, "laptop", True)
    try:
        worklist.complete_human_task(tenant=tenant, task_id=task.pk, user=user,
                                     decision="approve", data={"ok": True})  # fmt: skip
    except Conflict as error:
        assert error.code == "task_already_completed"
    else:
        raise AssertionError("a second decision was accepted")


def test_commits_ending_children_of_two_parents_take_the_parents_in_one_order(
    transactional_db, monkeypatch
):
    monkeypatch.setattr(dispatch, "send_now", lambda *args: None)  # no worker here
    tenant = loopback_tenant()
    publish(tenant, {"key": "leaf", "initial": "go",
                     "states": [{"name": "go"}, {"name": "done", "kind": "final"}],
                     "transitions": [{"from": "go", "to": "done"}]})  # fmt: skip
    publish(tenant, {"key": "pair", "initial": "fan",
                     "states": [{"name": "fan", "kind": "parallel",
                                 "parallel": {"map_over": "data.items", "workflow": "leaf",
                                              "concurrency": 2}},
                                {"name": "done", "kind": "final"}],
                     "transitions": [{"from": "fan", "to": "done", "on": "joined"}]})  # fmt: skip
    one, two = (
        services.start_instance(tenant=tenant, definition_key="pair", data={"items": [1, 2, 3]})
        for _ in range(2)
    )

    def children(parent):
        with all_tenants():
            return list(
                Instance.objects.filter(parent_id=parent.pk, status="created")
                .order_by("pk")
                .values_list("pk", flat=True)
            )

    first_of_one = children(one)[0]
    executor.run_ready(ids=[first_of_one])  # its end starts one's third child, the newest id
    a_one, c_one = children(one)
    a_two, b_two = children(two)
    # Sorted by id, batch X ends a child of one then of two; batch Y one of two then of one.
    batches = []
    for ids in ([a_one, a_two], [b_two, c_one]):
        owner = leases.new_owner()
        claimed = leases.claim(limit=2, owner=owner, ids=ids)
        batches.append([executor.advance(inst) for inst in claimed])
    # Each commit, once it has handled its first child, waits for the other to get there.
    meet = threading.Barrier(2, timeout=3)
    child_moved = fanout.child_moved

    def child_moved_then_meet(move, *, now):
        handled = child_moved(move, now=now)
        if move.instance.pk in (a_one, b_two):
            # Broken when the other commit waits for our locks instead: go on.
            with contextlib.suppress(threading.BrokenBarrierError):
                meet.wait()
        return handled

    monkeypatch.setattr(fanout, "child_moved", child_moved_then_meet)
    errors = []

    def commit(moves):
        try:
            write_moves(moves)
        except Exception as error:  # a deadlock is what this spec is about
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=commit, args=(moves,)) for moves in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with all_tenants():
        ended = {
            p.pk: p.pending.fanout["ended"] if p.pending and p.pending.fanout else None
            for p in Instance.objects.filter(pk__in=[one.pk, two.pk])
        }
        joined = Instance.objects.get(pk=one.pk)
    assert ended[two.pk] == 2  # both its children counted; its third child started
    assert (joined.status, joined.pending.event) == ("running", "joined")
