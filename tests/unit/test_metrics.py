"""/metrics tells the platform's operator what the database says, and nobody else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from workflow_platform.definitions.models import Definition, Version
from workflow_platform.engine.models import Incident, Instance, Timer
from workflow_platform.observability.models import WorkerHeartbeat
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.worklist.models import HumanTask

pytestmark = pytest.mark.django_db
DOCUMENT = {
    "format": "workflow-island/v1", "key": "order", "initial": "start",
    "states": [{"name": "start"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "start", "to": "done"}],
}  # fmt: skip


@pytest.fixture
def busy_tenant(tenant_a):
    now = timezone.now()
    with tenant_scope(tenant_a):
        definition = Definition.objects.create(tenant=tenant_a, key="order", name="Order")
        version = Version.objects.create(
            tenant=tenant_a, definition=definition, number=1, document=DOCUMENT
        )

        def instance(status, **extra):
            return Instance.objects.create(
                tenant=tenant_a, version=version, definition=definition, state="start",
                status=status, **extra,
            )  # fmt: skip

        instance("completed")
        instance("running", ready=True, ready_since=now - timedelta(seconds=90))
        waiting = instance("waiting")
        HumanTask.objects.create(
            tenant=tenant_a, instance=waiting, state="start", title="Late",
            due_at=now - timedelta(hours=1),
        )  # fmt: skip
        HumanTask.objects.create(tenant=tenant_a, instance=waiting, state="start", title="Fine")
        failed = instance("failed", has_incident=True)
        Incident.objects.create(
            tenant=tenant_a, instance=failed, state="start", step=1, code="card_declined",
            message="Declined.",
        )  # fmt: skip
        Timer.objects.create(
            tenant=tenant_a, instance=waiting, kind="retry", key="late-one",
            due_at=now - timedelta(seconds=30),
        )  # fmt: skip
    WorkerHeartbeat.objects.create(hostname="w1@host", pid=7, seen_at=now - timedelta(seconds=5))
    return tenant_a


def test_metrics_report_instances_backlog_tasks_incidents_timers_and_workers(client, busy_tenant):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    slug = busy_tenant.slug
    for line in (
        f'workflow_instances{{status="completed",tenant="{slug}"}} 1.0',
        f'workflow_instances{{status="failed",tenant="{slug}"}} 1.0',
        "workflow_ready_instances 1.0",
        f'workflow_human_tasks_open{{tenant="{slug}"}} 2.0',
        f'workflow_human_tasks_overdue{{tenant="{slug}"}} 1.0',
        f'workflow_incidents_open{{code="card_declined",tenant="{slug}"}} 1.0',
        "workflow_timers_overdue 1.0",
    ):
        assert line in text, line
    age = float(text.split("\nworkflow_ready_oldest_age_seconds ")[1].split()[0])
    assert 89 <= age < 150
    assert 'workflow_worker_heartbeat_age_seconds{worker="w1@host"}' in text


def test_metrics_are_not_shown_to_another_machine_without_the_token(client, busy_tenant):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404


def test_a_platform_superuser_may_read_them_from_anywhere(client, busy_tenant):
    admin = get_user_model().objects.create_superuser("root-admin", password="pw-for-tests")
    client.force_login(admin)
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_with_a_token_set_only_that_bearer_token_is_let_in(client, settings, busy_tenant):
    settings.WORKFLOW_METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 404  # loopback is not enough any more
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 404
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert right.status_code == 200
