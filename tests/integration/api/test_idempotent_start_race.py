"""Two requests race to start with one Idempotency-Key on real PostgreSQL: one instance,
one 201 and one 200, whatever the timing."""

from __future__ import annotations

import threading

from django.db import connection
from rest_framework.test import APIClient

from tests.factories import publish
from tests.unit.api.conftest import APPROVAL
from workflow_platform.engine import dispatch, starting
from workflow_platform.engine.models import Instance


def test_of_two_racing_starts_with_one_key_exactly_one_is_created(
    transactional_db, tenant_a, make_member, make_token, monkeypatch
):
    monkeypatch.setattr(dispatch, "send_now", lambda *args, **kwargs: None)
    publish(tenant_a, APPROVAL, name="Approval", published_at=None)
    _, raw = make_token(tenant_a, make_member(tenant_a, "operator"))

    # Both requests pass the "is the key used?" check before either inserts.
    both_checked = threading.Barrier(2, timeout=20)
    real_existing = starting._existing
    checked = threading.local()

    def existing_then_wait(tenant, key, hash_):
        found = real_existing(tenant, key, hash_)
        if not getattr(checked, "once", False):
            checked.once = True
            both_checked.wait()
        return found

    monkeypatch.setattr(starting, "_existing", existing_then_wait)
    answers = []

    def start():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            response = client.post(
                "/api/instances/", {"definition": "approval", "data": {"item": "x"}},
                format="json", HTTP_IDEMPOTENCY_KEY="race-1",
            )  # fmt: skip
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    racers = [threading.Thread(target=start) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)
    assert sorted(status for status, _ in answers) == [200, 201]
    assert answers[0][1] == answers[1][1]
    assert Instance.objects.for_tenant(tenant_a).count() == 1
