"""Many operators claiming one task at the same moment on PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from workflow_platform.errors import Conflict
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_claims_make_exactly_one_winner(tenant_a, make_member, make_task):
    operators = [make_member(tenant_a, username=f"op{i}") for i in range(6)]
    for user in operators:
        group = add_to_group(tenant=tenant_a, group_name="ops", user=user)
    task = make_task(tenant_a, group=group)
    start = threading.Barrier(len(operators))
    won, lost = [], []

    def claim(user):
        try:
            start.wait()
            services.claim_task(
                tenant=tenant_a, task_id=task.pk, user=user, expected_revision=task.revision
            )
            won.append(user.username)
        except Conflict as error:
            lost.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(user,)) for user in operators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1
    assert len(lost) == len(operators) - 1
    assert set(lost) == {"task_claimed_by_other"}  # and the message names the winner
