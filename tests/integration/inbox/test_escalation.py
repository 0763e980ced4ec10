"""An overdue task escalates once: reassigned to its escalation group, which hears of it live."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from tests.factories import publish
from tests.integration.inbox.workflows import escalating
from workflow_platform.engine.scheduler import sweep_due_timers
from workflow_platform.engine.services import start_instance
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.worklist.models import HumanTask

pytestmark = pytest.mark.django_db(transaction=True)


def _setup(tenant, make_member):
    otto = make_member(tenant, username="otto")
    lena = make_member(tenant, username="lena")
    add_to_group(tenant=tenant, group_name="ops", user=otto)
    leads = add_to_group(tenant=tenant, group_name="leads", user=lena)
    publish(tenant, escalating(due="1s", to_group="leads"))
    return lena, leads


def _task(tenant, instance_id):
    with tenant_scope(tenant):
        return HumanTask.objects.select_related("group").get(instance_id=instance_id)


async def test_overdue_task_escalates_once_and_the_escalation_group_hears_it(
    open_socket, tenant_a, make_member
):
    lena, leads = await sync_to_async(_setup)(tenant_a, make_member)
    socket, connected, _ = await open_socket(lena)
    assert connected
    await socket.receive_json_from(timeout=3)  # hello

    instance = await sync_to_async(start_instance)(
        tenant=tenant_a, definition_key="expense-escalating", data={"purpose": "taxi"}
    )
    created = await socket.receive_json_from(timeout=3)  # every tenant inbox hears "created"
    assert created["change"] == "created"
    await asyncio.sleep(1.2)

    # Two scheduler sweeps (or two schedulers) after the due time: one escalation.
    await sync_to_async(sweep_due_timers)()
    await sync_to_async(sweep_due_timers)()

    escalated = await socket.receive_json_from(timeout=3)
    assert escalated["change"] == "escalated"
    assert await socket.receive_nothing(timeout=0.5)
    task = await sync_to_async(_task)(tenant_a, instance.pk)
    assert task.group == leads and task.escalated_at is not None
    await socket.disconnect()
