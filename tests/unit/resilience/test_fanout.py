"""Fan-out/fan-in: children per branch or map item, a concurrency limit, join policies."""

import pytest
from django.core.management import call_command

from tests.factories import reload, start
from workflow_platform.engine import executor, services
from workflow_platform.engine.models import Incident, Instance
from workflow_platform.tenancy.scoping import all_tenants

from . import callables


def py(name, **extra):
    return {"type": "python", "params": {"callable": f"resilience.{name}"}, **extra}


def child(key, action="step"):
    return {
        "key": key,
        "initial": "go",
        "states": [{"name": "go"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "go", "to": "done", "action": "work",
                         "when": "data.item != 'bad'"},
                        {"from": "go", "to": "broken", "when": "data.item == 'bad'"}],
        "actions": {"work": py(action, result_to="out")},
    } | {"states": [{"name": "go"}, {"name": "done", "kind": "final"},
                    {"name": "broken", "kind": "failed"}]}  # fmt: skip


def parent(parallel):
    return {
        "initial": "fan",
        "states": [{"name": "fan", "kind": "parallel", "parallel": parallel},
                   {"name": "done", "kind": "final"}, {"name": "gave_up", "kind": "final"}],
        "transitions": [{"from": "fan", "to": "done", "on": "joined"},
                        {"from": "fan", "to": "gave_up", "on": "join_failed"}],
    }  # fmt: skip


@pytest.fixture(autouse=True)
def clear():
    callables.CALLS.clear()


def unfinished_children(instance):
    with all_tenants():
        return Instance.objects.filter(
            parent_id=instance.pk, status__in=["created", "running", "waiting"]
        ).count()


def test_a_map_runs_each_item_as_a_child_within_the_concurrency_limit(tenant_a, publish):
    publish(child("item-flow"))
    spec = {"map_over": "data.orders", "workflow": "item-flow", "item_as": "item",
            "concurrency": 3, "results_to": "results"}  # fmt: skip
    version = publish(parent(spec))
    instance = start(tenant_a, version, {"orders": list(range(10))})
    peak = 0
    for _ in range(60):
        executor.run_ready(limit=2)  # small claims: many commits, many chances to overrun
        peak = max(peak, unfinished_children(instance))
        if reload(tenant_a, instance).is_ended:
            break
    done = reload(tenant_a, instance)
    assert done.state == "done" and peak <= 3
    assert [r["item"] for r in done.data["results"]] == list(range(10))
    assert all(r["out"] == {"did": "step"} for r in done.data["results"])
    call_command("replay_history")


def test_fail_fast_fails_the_join_at_the_first_failed_branch(tenant_a, publish, work):
    publish(child("item-flow"))
    version = publish(parent({"map_over": "data.items", "workflow": "item-flow",
                              "concurrency": 1, "on_failure": "fail_fast"}))  # fmt: skip
    instance = start(tenant_a, version, {"items": ["a", "bad", "c", "d"]})
    work(rounds=40)
    assert reload(tenant_a, instance).state == "gave_up"
    with all_tenants():
        started = Instance.objects.filter(parent_id=instance.pk).count()
    assert started == 2  # the items after the failure never started


def test_join_any_takes_the_first_success_and_cancels_the_rest(tenant_a, publish, work):
    publish(child("item-flow"))
    version = publish(parent({"branches": [{"name": "a", "workflow": "item-flow",
                                            "data": {"item": "bad"}},
                                           {"name": "b", "workflow": "item-flow",
                                            "data": {"item": "{{ data.pick }}"}}],
                              "join": "any", "results_to": "by_branch"}))  # fmt: skip
    instance = start(tenant_a, version, {"pick": "b"})
    work(rounds=40)
    done = reload(tenant_a, instance)
    assert done.state == "done"
    assert done.data["by_branch"][1]["item"] == "b" and done.data["by_branch"][0] is None


def test_wait_all_lets_every_branch_finish_before_failing(tenant_a, publish, work):
    publish(child("item-flow"))
    version = publish(parent({"map_over": "data.items", "workflow": "item-flow",
                              "concurrency": 1, "on_failure": "wait_all"}))  # fmt: skip
    instance = start(tenant_a, version, {"items": ["bad", "b", "c"]})
    work(rounds=40)
    assert reload(tenant_a, instance).state == "gave_up"
    with all_tenants():
        assert Instance.objects.filter(parent_id=instance.pk, status="completed").count() == 2


def test_a_map_over_something_not_a_list_is_an_incident(tenant_a, publish, work):
    publish(child("item-flow"))
    document = parent({"map_over": "data.items", "workflow": "item-flow"})
    document["transitions"].pop()  # no join_failed transition
    instance = start(tenant_a, publish(document), {"items": 5})
    work()
    assert reload(tenant_a, instance).status == "failed"
    assert Incident.objects.for_tenant(tenant_a).get(instance=instance).code == "join_failed"


def test_a_child_workflow_with_no_published_version_fails_the_join_and_only_that_parent(
    tenant_a, publish, work
):
    publish(child("item-flow"))
    fine = start(tenant_a, publish(parent({"map_over": "data.items", "workflow": "item-flow"})),
                 {"items": [1, 2]})  # fmt: skip
    orphan = start(tenant_a, publish(parent({"map_over": "data.items", "workflow": "retired"})),
                   {"items": [1, 2]})  # fmt: skip
    work()
    assert reload(tenant_a, fine).state == "done"
    gave_up = reload(tenant_a, orphan)
    assert (gave_up.status, gave_up.state) == ("completed", "gave_up")
    assert not Incident.objects.for_tenant(tenant_a).filter(code="engine_error").exists()


def test_cancelling_the_parent_cancels_its_unfinished_children(tenant_a, publish):
    publish(child("item-flow"))
    version = publish(parent({"map_over": "data.items", "workflow": "item-flow", "concurrency": 2}))
    instance = start(tenant_a, version, {"items": [1, 2, 3]})
    services.cancel_instance(tenant=tenant_a, instance_id=instance.pk)
    with all_tenants():
        children = list(Instance.objects.filter(parent_id=instance.pk))
    assert len(children) == 2 and {c.status for c in children} == {"cancelled"}
    call_command("replay_history")


def test_a_cancelled_branch_counts_as_failed_for_the_join(tenant_a, publish, work):
    publish(child("item-flow"))
    version = publish(parent({"map_over": "data.items", "workflow": "item-flow",
                              "concurrency": 1, "on_failure": "fail_fast"}))  # fmt: skip
    instance = start(tenant_a, version, {"items": [1, 2]})
    with all_tenants():
        first = Instance.objects.get(parent_id=instance.pk)
    services.cancel_instance(tenant=tenant_a, instance_id=first.pk)
    work()
    assert reload(tenant_a, instance).state == "gave_up"
    call_command("replay_history")


def test_a_suspended_parent_joins_only_after_it_is_resumed(tenant_a, publish, work):
    from workflow_platform.engine import services

    publish(child("item-flow"))
    version = publish(parent({"map_over": "data.items", "workflow": "item-flow"}))
    instance = start(tenant_a, version, {"items": [1, 2]})
    services.suspend_instance(tenant=tenant_a, instance_id=instance.pk)
    work(rounds=10)
    held = reload(tenant_a, instance)
    assert (held.status, held.state) == ("suspended", "fan")
    services.resume_instance(tenant=tenant_a, instance_id=instance.pk)
    work()
    assert reload(tenant_a, instance).state == "done"
    call_command("replay_history")


def test_a_failed_round_commit_starts_the_fan_out_again_when_retried_alone(
    tenant_a, publish, work, monkeypatch
):
    from workflow_platform.engine import kinds

    publish(child("item-flow"))
    document = parent({"map_over": "data.items", "workflow": "item-flow", "concurrency": 2,
                       "results_to": "results"})  # fmt: skip
    # The parent enters its parallel state in a worker's round, not at its start.
    document["states"].insert(0, {"name": "begin"})
    document["initial"] = "begin"
    document["transitions"].insert(0, {"from": "begin", "to": "fan"})
    version = publish(document)
    instance = start(tenant_a, version, {"items": ["a", "b", "c"]})
    run_hooks, failures = kinds.run_hooks, ["once"]

    def fail_once(phase, moves, *, now):
        # The round's commit breaks after the fan-out's first children were written.
        if phase == "children_ended" and failures:
            failures.pop()
            raise RuntimeError("the database went away mid-commit")
        return run_hooks(phase, moves, now=now)

    monkeypatch.setattr(kinds, "run_hooks", fail_once)
    work(rounds=40)
    assert not failures
    done = reload(tenant_a, instance)
    assert (done.status, done.state) == ("completed", "done")
    assert [r["item"] for r in done.data["results"]] == ["a", "b", "c"]
    with all_tenants():
        assert Instance.objects.filter(parent_id=instance.pk).count() == 3
    call_command("replay_history")
