"""Cancelling an app submission (seed 002, question c) through the demo callables and the
real engine: the cancel workflow checks the submission's state, then sends it ``withdraw``."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.factories import run_until_idle
from workflow_platform.definitions.templates import install_templates
from workflow_platform.engine import dispatch, services
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import all_tenants

SUBMISSION = {
    "package": "com.example.app",
    "version_name": "1.0",
    "version_code": 1,
    "binary_url": "https://uploads.example/app.aab",
    "developer_email": "dev@example.com",
}

# transaction=True: python callables run on helper threads with their own connections.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tenant(make_tenant, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # This test runs the engine in-process; no Celery nudges are needed.
    monkeypatch.setattr(dispatch, "send_now", lambda *args: None)
    tenant = make_tenant()
    install_templates(tenant=tenant)
    return tenant


def state_of(pk: int) -> tuple[str, str]:
    with all_tenants():
        instance = Instance.objects.get(pk=pk)
    return instance.status, instance.state


def cancel(tenant, submission_id: int) -> int:
    data = {"submission_instance_id": submission_id, "package": "com.example.app"}
    data["developer_email"] = "dev@example.com"
    return services.start_instance(
        tenant=tenant, definition_key="app-submission-cancel", data=data
    ).pk


def test_a_submission_being_scanned_is_withdrawn(tenant):
    submission = services.start_instance(
        tenant=tenant, definition_key="app-submission", data=SUBMISSION
    ).pk
    run_until_idle(rounds=10, until="nothing_ran")
    assert state_of(submission) == ("waiting", "scanning")
    request = cancel(tenant, submission)
    run_until_idle(rounds=10, until="nothing_ran")
    assert state_of(request) == ("completed", "cancelled")
    assert state_of(submission)[1] == "withdrawn"


def test_an_unknown_submission_is_too_late_and_the_developer_is_told(tenant):
    request = cancel(tenant, 999_999)
    run_until_idle(rounds=10, until="nothing_ran")
    assert state_of(request)[1] == "too_late"
    [message] = mail.outbox
    assert "no such app submission" in message.body
