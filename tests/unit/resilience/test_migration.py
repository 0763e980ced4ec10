"""Version migration: a dry run reports what would break; the real run moves, validated."""

import pytest
from django.core.management import call_command

from tests.factories import reload, start
from workflow_platform.engine import services
from workflow_platform.engine.migration import migrate_instances
from workflow_platform.engine.models import HistoryEvent
from workflow_platform.errors import InvalidInput, NotFound, Unprocessable
from workflow_platform.worklist import services as worklist
from workflow_platform.worklist.models import HumanTask


def review(*, key="claims", second="review", extra=None):
    """new → <second> (human: approve/reject) → done / rejected."""
    states = [
        {"name": "new"},
        {"name": second, "kind": "human", "task": {"title": "Review"}},
        {"name": "done", "kind": "final"},
        {"name": "rejected", "kind": "final"},
    ]
    states += extra or []
    return {
        "key": key,
        "initial": "new",
        "states": states,
        "transitions": [
            {"from": "new", "to": second},
            {"from": second, "to": "done", "on": "approve"},
            {"from": second, "to": "rejected", "on": "reject"},
        ],
    }  # fmt: skip


@pytest.fixture
def two_in_review(tenant_a, publish, work):
    v1 = publish(review())
    instances = [start(tenant_a, v1), start(tenant_a, v1)]
    work()
    return v1, instances


def test_a_dry_run_flags_an_instance_whose_state_has_no_mapping(tenant_a, publish, two_in_review):
    _, (first, second) = two_in_review
    v2 = publish(review(second="assess"))
    report = migrate_instances(
        tenant=tenant_a, instance_ids=[first.pk, second.pk], to_version_id=v2.pk,
        state_mapping={},
    )  # fmt: skip
    assert report.dry_run and not report.ok
    assert [p.problems[0]["code"] for p in report.instances] == ["no_mapping", "no_mapping"]
    assert reload(tenant_a, first).version_id != v2.pk  # nothing moved


def test_a_dry_run_flags_a_missing_target_state_and_open_tasks(tenant_a, publish, two_in_review):
    _, (first, _) = two_in_review
    v2 = publish(review(second="assess", extra=[{"name": "parked"}]))
    missing = migrate_instances(
        tenant=tenant_a, instance_ids=[first.pk], to_version_id=v2.pk,
        state_mapping={"review": "nowhere"},
    ).instances[0]  # fmt: skip
    assert missing.problems[0]["code"] == "mapped_state_missing"
    not_human = migrate_instances(
        tenant=tenant_a, instance_ids=[first.pk], to_version_id=v2.pk,
        state_mapping={"review": "parked"},
    ).instances[0]  # fmt: skip
    assert [p["code"] for p in not_human.problems] == ["pending_tasks"]
    # Its history (new → review) has no edge new → parked in v2: a warning, not a blocker.
    assert not_human.warnings[0]["code"] == "history_not_replayable"


def test_the_real_run_moves_instances_records_history_and_they_go_on(
    tenant_a, publish, two_in_review, work
):
    _v1, (first, second) = two_in_review
    v2 = publish(review(second="assess"))
    report = migrate_instances(
        tenant=tenant_a, instance_ids=[first.pk, second.pk], to_version_id=v2.pk,
        state_mapping={"review": "assess"}, dry_run=False,
    )  # fmt: skip
    assert report.ok and not report.dry_run
    moved = reload(tenant_a, first)
    assert (moved.version_id, moved.state) == (v2.pk, "assess")
    event = HistoryEvent.objects.for_tenant(tenant_a).filter(instance=first).last()
    assert (event.type, event.from_state, event.to_state) == ("migrated", "review", "assess")
    assert event.detail["from_version"] == 1 and event.detail["to_version"] == 2
    task = HumanTask.objects.for_tenant(tenant_a).get(instance=first)
    assert task.state == "assess"
    worklist.complete_human_task(
        tenant=tenant_a, task_id=task.pk, user=None, decision="approve", data={}
    )
    work()
    assert reload(tenant_a, first).status == "completed"
    call_command("replay_history")


def test_one_bad_instance_refuses_the_whole_batch(tenant_a, publish, two_in_review, work):
    v1, (first, _second) = two_in_review
    v2 = publish(review(second="assess"))
    done = start(tenant_a, v1)
    work()
    services.send_event(tenant=tenant_a, instance_id=done.pk, event="approve")
    work()
    with pytest.raises(Unprocessable) as error:
        migrate_instances(
            tenant=tenant_a, instance_ids=[first.pk, done.pk], to_version_id=v2.pk,
            state_mapping={"review": "assess"}, dry_run=False,
        )  # fmt: skip
    assert error.value.code == "migration_invalid"
    assert reload(tenant_a, first).version_id == v1.pk


def test_bad_requests_get_clear_errors(tenant_a, publish, two_in_review):
    _, (first, _) = two_in_review
    v2 = publish(review(second="assess"))
    with pytest.raises(InvalidInput):
        migrate_instances(tenant=tenant_a, instance_ids=[], to_version_id=v2.pk, state_mapping={})
    with pytest.raises(InvalidInput):
        migrate_instances(
            tenant=tenant_a, instance_ids=[first.pk], to_version_id=v2.pk, state_mapping={"a": 1}
        )
    with pytest.raises(NotFound):
        migrate_instances(
            tenant=tenant_a, instance_ids=[first.pk], to_version_id=999999, state_mapping={}
        )
    with pytest.raises(NotFound):
        migrate_instances(tenant=tenant_a, instance_ids=[999999], to_version_id=v2.pk,
                          state_mapping={})  # fmt: skip


def test_the_command_reports_a_dry_run_and_applies_on_request(tenant_a, publish, two_in_review):
    from io import StringIO

    from django.core.management.base import CommandError

    _, (first, _) = two_in_review
    v2 = publish(review(second="assess"))
    args = ["migrate_instances", "--tenant", tenant_a.slug, "--to-version", str(v2.pk),
            "--instance", str(first.pk)]  # fmt: skip
    with pytest.raises(CommandError, match="dry run found problems"):
        call_command(*args, stdout=StringIO())
    out = StringIO()
    call_command(*args, "--map", "review=assess", "--apply", stdout=out)
    assert '"dry_run": false' in out.getvalue()
    assert reload(tenant_a, first).state == "assess"


def test_a_dry_run_flags_a_new_state_whose_timer_gives_no_date_for_the_data(
    tenant_a, publish, two_in_review
):
    _, (first, _) = two_in_review
    document = review()
    document["transitions"].append(
        {"from": "review", "to": "rejected", "on": "timer", "at": "data.deadline"}
    )
    v2 = publish(document)
    plan = migrate_instances(
        tenant=tenant_a, instance_ids=[first.pk], to_version_id=v2.pk, state_mapping={}
    ).instances[0]
    assert [p["code"] for p in plan.problems] == ["timer_not_scheduled"]
    assert "data.deadline" in plan.problems[0]["message"]
