"""Two operators correct a failed instance's data and retry it at the same moment, on
real PostgreSQL: one retry wins with its data, the other is a 409 that changed nothing,
and the history (one audited retry) still rebuilds the row."""

from __future__ import annotations

import threading

from django.db import connection
from rest_framework.test import APIClient

from tests.factories import publish, run_until_idle
from tests.unit.engine import callables  # noqa: F401 - registers engine_tests.broken
from tests.unit.engine.conftest import linear
from workflow_platform.engine import dispatch, replay, services
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.engine.services import repairs
from workflow_platform.tenancy.scoping import all_tenants

BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}


def test_of_two_racing_retries_with_data_one_wins_and_the_other_changes_nothing(
    transactional_db, tenant_a, make_member, make_token, monkeypatch
):
    monkeypatch.setattr(dispatch, "send_now", lambda *args, **kwargs: None)
    publish(tenant_a, linear(1, action=BROKEN, key="charge"))
    instance = services.start_instance(tenant=tenant_a, definition_key="charge", data={"n": 0})
    run_until_idle()
    tokens = {
        name: make_token(tenant_a, make_member(tenant_a, "operator", name))[1]
        for name in ("olga", "otto")
    }

    # Both requests are past their checks of the data before either locks the instance.
    both_ready = threading.Barrier(2, timeout=20)
    real_lock = repairs.lock_instance

    def lock_after_the_other_is_ready(tenant, instance_id):
        both_ready.wait()
        return real_lock(tenant, instance_id)

    monkeypatch.setattr(repairs, "lock_instance", lock_after_the_other_is_ready)
    answers: dict[str, int] = {}

    def retry(name: str) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[name]}")
            response = client.post(
                f"/api/instances/{instance.pk}/retry/",
                {"data": {"fixed": True, "by": name}},
                format="json",
            )
            answers[name] = response.status_code
        finally:
            connection.close()

    racers = [threading.Thread(target=retry, args=(name,)) for name in tokens]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    assert sorted(answers.values()) == [200, 409]
    [winner] = [name for name, status in answers.items() if status == 200]
    with all_tenants():
        row = Instance.objects.select_related("version").get(pk=instance.pk)
        retried = list(HistoryEvent.objects.filter(instance=instance, type="incident_retried"))
    assert row.data == {"fixed": True, "by": winner}
    assert len(retried) == 1 and retried[0].user.username == winner
    assert retried[0].detail == {
        "data": {"before": {"n": 0}, "after": {"fixed": True, "by": winner}}
    }

    monkeypatch.setattr(repairs, "lock_instance", real_lock)
    run_until_idle()
    with all_tenants():
        row = Instance.objects.select_related("version").get(pk=instance.pk)
        events = list(HistoryEvent.objects.filter(instance=instance).order_by("seq"))
    assert row.status == "completed"
    assert replay.differences(row, events) == []
