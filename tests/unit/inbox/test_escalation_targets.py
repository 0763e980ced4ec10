"""Escalation skips people who are away: the overdue task goes back to its group's queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import reload
from workflow_platform.tenancy.models import Membership
from workflow_platform.tenancy.scoping import all_tenants, tenant_scope
from workflow_platform.worklist.activation import escalate_task


@pytest.fixture
def overdue_for_ada(tenant_a, ops, make_task, make_member):
    group, otto, _ = ops
    ada = make_member(tenant_a, username="ada")
    task = make_task(
        tenant_a,
        group=group,
        assignee=otto,
        status="claimed",
        due_at=timezone.now() - timedelta(minutes=1),
        escalate_to={"user": "ada"},
    )
    return task, ada, group


def set_away(tenant, user, until):
    with tenant_scope(tenant):
        Membership.objects.filter(user=user).update(away_until=until)


def escalate(task) -> bool:
    with all_tenants():  # as the scheduler's sweep runs it
        return escalate_task(task.pk)


def test_an_overdue_task_escalates_to_the_named_user_who_is_there(tenant_a, overdue_for_ada):
    task, ada, group = overdue_for_ada
    assert escalate(task)
    escalated = reload(tenant_a, task)
    assert (escalated.assignee_id, escalated.group_id, escalated.status) == (
        ada.pk,
        group.pk,
        "open",
    )
    assert escalated.routing_reason.endswith(": to ada")


def test_escalation_skips_a_user_who_is_away_and_falls_back_to_the_group(tenant_a, overdue_for_ada):
    task, ada, group = overdue_for_ada
    set_away(tenant_a, ada, timezone.now() + timedelta(days=3))
    assert escalate(task)
    escalated = reload(tenant_a, task)
    assert escalated.assignee_id is None
    assert escalated.group_id == group.pk
    assert escalated.status == "open" and escalated.escalated_at is not None
    assert "ada is away or not an active member" in escalated.routing_reason
    assert escalated.routing_reason.endswith(f"to group {group.name}, unassigned")


def test_a_user_back_from_being_away_gets_the_escalation_again(tenant_a, overdue_for_ada):
    task, ada, _ = overdue_for_ada
    set_away(tenant_a, ada, timezone.now() - timedelta(hours=1))
    assert escalate(task)
    assert reload(tenant_a, task).assignee_id == ada.pk
