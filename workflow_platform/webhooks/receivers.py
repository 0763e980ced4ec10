"""Turn the engine's signals into webhook events (connected in WebhooksConfig.ready).

The signals are sent inside the engine's transaction, so the deliveries recorded here
commit or roll back with the change they describe. Only reads of the changed rows.
"""

from __future__ import annotations

from django.dispatch import receiver

from workflow_platform.engine.signals import instance_changed
from workflow_platform.tenancy.scoping import all_tenants
from workflow_platform.worklist.signals import human_task_changed

from .models import WebhookEvent
from .services import record_event

INSTANCE_EVENTS = {
    "completed": WebhookEvent.INSTANCE_COMPLETED,
    "failed": WebhookEvent.INSTANCE_FAILED,
    "incident": WebhookEvent.INSTANCE_INCIDENT,
}
TASK_EVENTS = {
    "created": WebhookEvent.TASK_CREATED,
    # Escalation fires at the task's due time: the SLA was breached.
    "escalated": WebhookEvent.TASK_SLA_BREACHED,
}


def instance_summary(instance) -> dict:
    with all_tenants():  # the instance's own version and definition, already its tenant's
        return {
            "id": instance.pk,
            "definition": instance.definition.key,
            "version": instance.version.number,
            "state": instance.state,
            "status": instance.status,
            "business_key": instance.business_key,
            "has_incident": instance.has_incident,
            "last_error": instance.last_error,
        }


def task_summary(task) -> dict:
    with all_tenants():
        return {
            "id": task.pk,
            "instance": task.instance_id,
            "title": task.title,
            "state": task.state,
            "status": task.status,
            "group": task.group.name if task.group_id else None,
            "assignee": task.assignee.get_username() if task.assignee_id else None,
            "priority": task.priority,
            "due_at": task.due_at.isoformat() if task.due_at else None,
        }


@receiver(instance_changed, dispatch_uid="api-webhooks-instance")
def on_instance_changed(sender, instance, change, **kwargs) -> None:
    event = INSTANCE_EVENTS.get(change)
    if event:
        record_event(
            tenant_id=instance.tenant_id,
            event=event,
            payload=lambda: {"instance": instance_summary(instance)},
            trace_context=instance.trace_context,
        )


@receiver(human_task_changed, dispatch_uid="api-webhooks-task")
def on_human_task_changed(sender, task, change, **kwargs) -> None:
    event = TASK_EVENTS.get(change)
    if event:
        record_event(
            tenant_id=task.tenant_id, event=event, payload=lambda: {"task": task_summary(task)}
        )
