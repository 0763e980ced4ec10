"""Operators acting on tasks: one winner per race, clear conflicts, tenants apart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from workflow_platform.engine.models import HistoryEvent
from workflow_platform.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.worklist import services
from workflow_platform.worklist.models import TaskActivity
from workflow_platform.worklist.selectors import inbox_tasks


def test_two_operators_claiming_one_task_make_one_winner(tenant_a, ops, make_task):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group)
    seen = task.revision
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=olga, expected_revision=seen)
    with pytest.raises(Conflict) as lost:
        services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto, expected_revision=seen)
    assert lost.value.code == "task_claimed_by_other"
    assert "olga claimed this task first" in lost.value.message


def test_claim_without_a_revision_still_refuses_a_held_task(tenant_a, ops, make_task):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=olga)
    with pytest.raises(Conflict):
        services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
    again = services.claim_task(tenant=tenant_a, task_id=task.pk, user=olga)
    assert again.assignee == olga  # claiming your own task again is harmless


def test_release_gives_the_task_back_and_is_audited(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
    released = services.release_task(tenant=tenant_a, task_id=task.pk, user=otto)
    assert released.status == "open" and released.assignee is None
    with tenant_scope(tenant_a):
        actions = list(TaskActivity.objects.filter(task=task).values_list("action", flat=True))
    assert actions == ["claimed", "released"]


def test_only_the_assignee_or_an_admin_releases(tenant_a, ops, make_task):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
    with pytest.raises(PermissionDenied):
        services.release_task(tenant=tenant_a, task_id=task.pk, user=olga)


def test_another_tenants_task_is_not_found(tenant_a, tenant_b, ops, make_task):
    _, otto, _ = ops
    foreign = make_task(tenant_b)
    with pytest.raises(NotFound):
        services.claim_task(tenant=tenant_a, task_id=foreign.pk, user=otto)


def test_viewers_cannot_claim(tenant_a, ops, make_task, make_member):
    group, _, _ = ops
    vera = make_member(tenant_a, role="viewer", username="vera")
    with pytest.raises(PermissionDenied):
        services.claim_task(tenant=tenant_a, task_id=make_task(tenant_a, group=group).pk, user=vera)


def test_delegate_hands_a_held_task_to_a_colleague(tenant_a, ops, make_task):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
    delegated = services.delegate_task(
        tenant=tenant_a, task_id=task.pk, user=otto, to_username="olga"
    )
    assert delegated.assignee == olga and delegated.status == "claimed"
    with pytest.raises(InvalidInput):
        services.delegate_task(tenant=tenant_a, task_id=task.pk, user=olga, to_username="nobody")


def test_admin_reassigns_to_another_group(tenant_a, ops, make_task, make_member):
    from workflow_platform.tenancy.services import add_to_group

    group, otto, _ = ops
    ada = make_member(tenant_a, role="admin", username="ada")
    finance = add_to_group(tenant=tenant_a, group_name="finance", user=ada)
    task = make_task(tenant_a, group=group)
    with pytest.raises(PermissionDenied):
        services.reassign_task(tenant=tenant_a, task_id=task.pk, user=otto, to_group="finance")
    moved = services.reassign_task(tenant=tenant_a, task_id=task.pk, user=ada, to_group="finance")
    assert moved.group == finance and moved.assignee is None


def test_reassigning_to_a_viewer_is_refused_and_changes_nothing(
    tenant_a, ops, make_task, make_member
):
    group, otto, _ = ops
    make_member(tenant_a, role="viewer", username="vic")
    ada = make_member(tenant_a, role="admin", username="ada")
    task = make_task(tenant_a, group=group, assignee=otto)
    with pytest.raises(InvalidInput) as refused:
        services.reassign_task(tenant=tenant_a, task_id=task.pk, user=ada, to_username="vic")
    assert refused.value.code == "not_an_operator"
    with tenant_scope(tenant_a):
        task.refresh_from_db()
    assert task.assignee == otto


@pytest.mark.parametrize("verb", ["reassign", "delegate"])
def test_handing_a_task_to_someone_who_is_away_is_refused(tenant_a, ops, make_task, verb):
    group, otto, olga = ops
    services.set_away(tenant=tenant_a, user=olga, until=timezone.now() + timedelta(days=2))
    task = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=otto)
    hand_on = services.reassign_task if verb == "reassign" else services.delegate_task
    with pytest.raises(InvalidInput) as refused:
        hand_on(tenant=tenant_a, task_id=task.pk, user=otto, to_username="olga")
    assert refused.value.code == "user_away"
    assert "olga is away until" in refused.value.message


def test_bulk_claim_reports_each_refusal(tenant_a, ops, make_task):
    group, otto, olga = ops
    free = make_task(tenant_a, group=group)
    taken = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=taken.pk, user=olga)
    result = services.bulk_claim(tenant=tenant_a, task_ids=[free.pk, taken.pk], user=otto)
    assert result.claimed == [free.pk]
    assert "olga" in result.refused[taken.pk]


def test_snoozed_task_leaves_the_list_until_its_time(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    services.snooze_task(
        tenant=tenant_a, task_id=task.pk, user=otto, until=timezone.now() + timedelta(hours=2)
    )
    assert not inbox_tasks(tenant_a, otto, admin=False, view="groups").filter(pk=task.pk)
    with pytest.raises(InvalidInput):
        services.snooze_task(
            tenant=tenant_a, task_id=task.pk, user=otto, until=timezone.now() - timedelta(1)
        )


def test_away_needs_a_future_return_date(tenant_a, ops):
    _, otto, _ = ops
    until = timezone.now() + timedelta(days=3)
    assert services.set_away(tenant=tenant_a, user=otto, until=until).is_away()
    with pytest.raises(InvalidInput):
        services.set_away(tenant=tenant_a, user=otto, until=timezone.now() - timedelta(1))
    assert not services.set_away(tenant=tenant_a, user=otto, until=None).is_away()


def test_completing_validates_the_form_then_resumes_through_the_engine(tenant_a, ops, make_task):
    from workflow_platform.errors import Unprocessable

    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    with pytest.raises(Unprocessable) as invalid:
        services.complete_task(
            tenant=tenant_a, task_id=task.pk, user=otto, decision="approve", data={}
        )
    assert invalid.value.details == [{"field": "amount", "message": "This field is required."}]
    with pytest.raises(InvalidInput):
        services.complete_task(
            tenant=tenant_a, task_id=task.pk, user=otto, decision="shrug", data={"amount": 3}
        )


def test_completing_a_task_someone_else_holds_is_a_conflict(tenant_a, ops, make_task):
    group, otto, olga = ops
    task = make_task(tenant_a, group=group)
    services.claim_task(tenant=tenant_a, task_id=task.pk, user=olga)
    with pytest.raises(Conflict) as taken:
        services.complete_task(
            tenant=tenant_a, task_id=task.pk, user=otto, decision="approve", data={"amount": 5}
        )
    assert "olga claimed this task first" in taken.value.message


def test_completing_an_open_task_claims_it_and_records_the_decision(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    done = services.complete_task(
        tenant=tenant_a, task_id=task.pk, user=otto, decision="approve", data={"amount": 5}
    )
    assert (done.status, done.decision, done.completed_by) == ("completed", "approve", otto)
    with tenant_scope(tenant_a):
        actions = list(TaskActivity.objects.filter(task=task).values_list("action", flat=True))
    assert actions == ["claimed", "completed"]
    with pytest.raises(Conflict):
        services.complete_task(
            tenant=tenant_a, task_id=task.pk, user=otto, decision="approve", data={"amount": 5}
        )


def test_the_decisions_history_event_says_who_decided_and_what(tenant_a, ops, make_task):
    group, otto, _ = ops
    task = make_task(tenant_a, group=group)
    services.complete_task(
        tenant=tenant_a, task_id=task.pk, user=otto, decision="approve", data={"amount": 5}
    )
    with tenant_scope(tenant_a):
        event = HistoryEvent.objects.get(instance=task.instance, type="task_completed")
    assert (event.user, event.event) == (otto, "approve")
    assert event.detail == {
        "task": task.pk, "decision": "approve", "decided_by": otto.username,
        "payload": {"amount": 5},
    }  # fmt: skip
