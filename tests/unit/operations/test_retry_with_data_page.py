"""An operator corrects a failed instance's data on its page, then retries the failed
step: the data is checked, replaced in the retry's commit and audited; refused data
changes nothing and the form says why."""

from __future__ import annotations

import json

from django.urls import reverse

from workflow_platform.engine import services
from workflow_platform.engine.models import HistoryEvent, Incident, Instance

from .conftest import linear

BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}


def failed_instance(tenant, publish, work, data=None):
    publish(linear(1, action=BROKEN, key="charge"))
    instance = services.start_instance(
        tenant=tenant, definition_key="charge", data=data or {"card": "4000", "order": "A-17"}
    )
    work()
    return Instance.objects.for_tenant(tenant).get(pk=instance.pk)


def state_of(tenant, instance):
    row = Instance.objects.for_tenant(tenant).values("status", "data", "seq").get(pk=instance.pk)
    row["open_incidents"] = (
        Incident.objects.for_tenant(tenant).filter(instance=instance, resolved_at=None).count()
    )
    return row


def test_the_page_shows_the_incident_and_the_data_to_edit(
    client, tenant_a, make_member, publish, work
):
    client.force_login(make_member(tenant_a, role="operator"))
    instance = failed_instance(tenant_a, publish, work)
    url = reverse("operations:retry_with_data", args=[instance.pk])
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    assert f'href="{url}"' in page
    body = client.get(url).content.decode()
    assert "card_declined" in body and "bad card" in body
    assert "&quot;card&quot;: &quot;4000&quot;" in body  # the current data, ready to edit


def test_corrected_data_is_saved_with_the_retry_and_the_step_succeeds(
    client, tenant_a, make_member, publish, work
):
    client.force_login(make_member(tenant_a, role="operator", username="olga"))
    instance = failed_instance(tenant_a, publish, work)
    response = client.post(
        reverse("operations:retry_with_data", args=[instance.pk]),
        {"data": json.dumps({"card": "4242", "order": "A-17", "fixed": True})},
        follow=True,
    )
    assert "Retrying the failed step with the corrected data" in response.content.decode()
    work()
    done = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    assert done.status == "completed"
    assert done.data["card"] == "4242"
    event = HistoryEvent.objects.for_tenant(tenant_a).get(
        instance=instance, type="incident_retried"
    )
    assert event.user.username == "olga"
    assert event.detail == {
        "data": {"before": {"card": "4000"}, "after": {"card": "4242", "fixed": True}}
    }
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    assert "&quot;before&quot;: {&quot;card&quot;: &quot;4000&quot;}" in page  # audited


def test_refused_data_changes_nothing_and_the_form_says_why(
    client, tenant_a, make_member, publish, work
):
    client.force_login(make_member(tenant_a, role="operator"))
    instance = failed_instance(tenant_a, publish, work)
    before = state_of(tenant_a, instance)
    url = reverse("operations:retry_with_data", args=[instance.pk])
    deep = "[" * 70 + "]" * 70
    cases = {
        "{not json": "This is not JSON: line 1, column 2",
        "[1, 2]": "must be a JSON object",
        "": "Give the data as a JSON object",
        json.dumps({"n": 2**60}): "data.n: whole numbers must lie between",
        deep: "must be a JSON object",
        '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}": "nested too deeply",
        json.dumps({"list": json.loads(deep)}): "data.list",
        '{"x": NaN}': "numbers must be finite",
        '{"t": "a\\u0000b"}': "NUL character",
    }
    for text, message in cases.items():
        response = client.post(url, {"data": text})
        assert response.status_code == 400, text
        error = response.content.decode()
        assert 'data-testid="data-error"' in error, text
        assert message in error.replace("&#x27;", "'"), (text, error[-3000:])
        assert state_of(tenant_a, instance) == before, text


def test_without_an_open_incident_or_as_a_viewer_there_is_nothing_to_edit(
    client, tenant_a, make_member, publish, work
):
    instance = failed_instance(tenant_a, publish, work)
    url = reverse("operations:retry_with_data", args=[instance.pk])
    client.force_login(make_member(tenant_a, role="viewer"))
    response = client.post(url, {"data": '{"fixed": true}'}, follow=True)
    assert "Only operators and admins" in response.content.decode()
    assert (
        "Edit data and retry"
        not in client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    )
    services.retry_incident(tenant=tenant_a, instance_id=instance.pk)
    client.force_login(make_member(tenant_a, role="operator"))
    response = client.get(url, follow=True)
    assert "has no open incident to retry" in response.content.decode()
    assert Instance.objects.for_tenant(tenant_a).get(pk=instance.pk).data == {
        "card": "4000", "order": "A-17"
    }  # fmt: skip
