"""Operators find instances, read one's history and retry or cancel it in the browser."""

from django.urls import reverse

from workflow_platform.engine import services
from workflow_platform.engine.models import Instance

from .conftest import linear

BROKEN = {"type": "python", "params": {"callable": "engine_tests.broken"}}


def login(client, tenant, make_member, role):
    user = make_member(tenant, role=role)
    client.force_login(user)
    return user


def test_the_list_filters_by_workflow_status_state_and_business_key(
    client, tenant_a, make_member, publish, work
):
    login(client, tenant_a, make_member, "viewer")
    quick = publish(linear(1, key="quick"))
    parked = publish({"key": "parked", "initial": "hold", "states": [{"name": "hold"}],
                      "transitions": []})  # fmt: skip
    services.start_instance(tenant=tenant_a, definition_key="quick", data={}, business_key="A-1")
    services.start_instance(tenant=tenant_a, definition_key="parked", data={}, business_key="B-2")
    work()
    url = reverse("operations:instances")
    body = client.get(url, {"status": "waiting"}).content.decode()
    assert "B-2" in body and "A-1" not in body
    body = client.get(url, {"definition": quick.definition.key}).content.decode()
    assert "A-1" in body and "B-2" not in body
    assert "B-2" in client.get(url, {"state": "hold"}).content.decode()
    assert "A-1" in client.get(url, {"business_key": "A-"}).content.decode()
    assert "Unknown status" in client.get(url, {"status": "nope"}, follow=True).content.decode()
    assert parked
    # A definition with only a draft has no instances: the filter does not offer it.
    from workflow_platform.definitions.services import create_definition

    create_definition(tenant=tenant_a, key="only-a-draft", name="Only a draft",
                      document={**linear(1), "key": "only-a-draft"})  # fmt: skip
    options = client.get(url).content.decode()
    assert 'value="quick"' in options and 'value="only-a-draft"' not in options


def test_the_instance_page_shows_data_state_history_and_incidents(
    client, tenant_a, make_member, publish, work
):
    login(client, tenant_a, make_member, "viewer")
    publish(linear(1, action=BROKEN, key="broken"))
    instance = services.start_instance(tenant=tenant_a, definition_key="broken", data={"x": 7})
    work()
    body = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    for text in ("card_declined", "bad card", "Incident Opened", "Started", "&quot;x&quot;: 7"):
        assert text in body
    assert 'id="instance-graph-data"' in body  # drawn on its version's graph
    assert "Retry the failed step</button>" not in body  # a viewer may look, not operate


def test_an_operator_retries_an_incident_with_one_post(
    client, tenant_a, make_member, publish, work
):
    login(client, tenant_a, make_member, "operator")
    publish(linear(1, action=BROKEN, key="broken"))
    instance = services.start_instance(tenant=tenant_a, definition_key="broken", data={})
    work()
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    assert "Retry the failed step</button>" in page
    response = client.post(reverse("operations:retry", args=[instance.pk]), follow=True)
    assert "Retrying the failed step" in response.content.decode()
    assert Instance.objects.for_tenant(tenant_a).get(pk=instance.pk).status == "running"
    again = client.post(reverse("operations:retry", args=[instance.pk]), follow=True)
    assert "has no open incident" in again.content.decode()


def test_a_viewer_cannot_cancel(client, tenant_a, make_member, publish):
    login(client, tenant_a, make_member, "viewer")
    publish(linear(1, key="quick"))
    instance = services.start_instance(tenant=tenant_a, definition_key="quick", data={})
    response = client.post(reverse("operations:cancel", args=[instance.pk]), follow=True)
    assert "Only operators and admins" in response.content.decode()
    assert Instance.objects.for_tenant(tenant_a).get(pk=instance.pk).status == "created"


def test_an_admin_cancels_and_another_tenants_instance_is_not_found(
    client, tenant_a, tenant_b, make_member, publish
):
    login(client, tenant_a, make_member, "admin")
    publish(linear(1, key="quick"))
    instance = services.start_instance(tenant=tenant_a, definition_key="quick", data={})
    response = client.post(
        reverse("operations:cancel", args=[instance.pk]), {"reason": "started twice"}, follow=True
    )
    assert "Cancelled." in response.content.decode()
    publish(linear(1, key="theirs"), tenant=tenant_b)
    theirs = services.start_instance(tenant=tenant_b, definition_key="theirs", data={})
    assert client.get(reverse("operations:instance", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("operations:cancel", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("operations:cancel", args=[theirs.pk])).status_code == 404


def test_an_operator_suspends_and_resumes_a_waiting_instance(
    client, tenant_a, make_member, publish, work
):
    login(client, tenant_a, make_member, "operator")
    publish({"key": "parked", "initial": "hold",
             "states": [{"name": "hold"}, {"name": "done", "kind": "final"}],
             "transitions": [{"from": "hold", "to": "done", "on": "go"}]})  # fmt: skip
    instance = services.start_instance(tenant=tenant_a, definition_key="parked", data={})
    work()
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    assert "Suspend</button>" in page and "Resume</button>" not in page
    client.post(reverse("operations:suspend", args=[instance.pk]))
    assert Instance.objects.for_tenant(tenant_a).get(pk=instance.pk).status == "suspended"
    page = client.get(reverse("operations:instance", args=[instance.pk])).content.decode()
    assert "Resume</button>" in page
    response = client.post(reverse("operations:resume", args=[instance.pk]), follow=True)
    assert "Resumed." in response.content.decode()
    assert Instance.objects.for_tenant(tenant_a).get(pk=instance.pk).status == "waiting"


def test_an_operator_redrives_a_failed_instance_from_its_failed_step(
    client, tenant_a, make_member, publish, work
):
    login(client, tenant_a, make_member, "operator")
    publish(linear(2, action=BROKEN, key="broken"))
    instance = services.start_instance(tenant=tenant_a, definition_key="broken", data={})
    work()
    response = client.post(reverse("operations:redrive", args=[instance.pk]), follow=True)
    assert "Redriving from the failed step" in response.content.decode()
    redriven = Instance.objects.for_tenant(tenant_a).get(pk=instance.pk)
    assert (redriven.status, redriven.has_incident) == ("running", False)


def test_cancelling_with_compensate_undoes_the_completed_steps(
    client, tenant_a, make_member, publish, work
):
    login(client, tenant_a, make_member, "operator")
    undo = {"type": "python", "params": {"callable": "engine_tests.record"}}
    publish({"key": "booked", "initial": "new",
             "states": [{"name": "new"}, {"name": "held"}, {"name": "done", "kind": "final"}],
             "transitions": [{"from": "new", "to": "held", "action": "book"},
                             {"from": "held", "to": "done", "on": "confirm"}],
             "actions": {"book": {**undo, "compensation": "unbook"}, "unbook": undo}})  # fmt: skip
    instance = services.start_instance(tenant=tenant_a, definition_key="booked", data={})
    work()
    response = client.post(
        reverse("operations:cancel", args=[instance.pk]),
        {"compensate": "on", "reason": "customer withdrew"},
        follow=True,
    )
    assert "the completed steps are being undone" in response.content.decode()
    work()
    assert Instance.objects.for_tenant(tenant_a).get(pk=instance.pk).status == "compensated"
