"""Tenant isolation of the whole REST API: tenant B's admin gets 404 for every object
of tenant A, on every endpoint and method, and nothing of tenant A changes.

The endpoints come from the live OpenAPI schema, so a new endpoint without an entry in
``OBJECTS`` fails this test instead of slipping through unchecked.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from tests.unit.api.conftest import (  # noqa: F401 - fixtures
    APPROVAL,
    api_as,
    fast_passwords,
    published,
    quiet_dispatch,
    run_worker,
)
from workflow_platform.api.models import WebhookDelivery, WebhookSubscription
from workflow_platform.api.schema import PlatformSchemaGenerator as SchemaGenerator
from workflow_platform.api.webhooks.services import record_event
from workflow_platform.definitions.models import Definition, Dependency, Version
from workflow_platform.engine.models import HistoryEvent, HumanTask, Instance
from workflow_platform.tenancy.models import ApiToken, Membership, OperatorGroup
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group

# path prefix -> how to find tenant A's object of that resource
OBJECTS = {
    "/api/members/": lambda: Membership.objects.first().pk,
    "/api/groups/": lambda: OperatorGroup.objects.first().pk,
    "/api/tokens/": lambda: ApiToken.objects.first().pk,
    "/api/definitions/": lambda: Definition.objects.first().pk,
    "/api/dependencies/": lambda: Dependency.objects.first().pk,
    "/api/versions/": lambda: Version.objects.first().pk,
    "/api/instances/": lambda: Instance.objects.first().pk,
    "/api/tasks/": lambda: HumanTask.objects.first().pk,
    "/api/webhooks/": lambda: WebhookSubscription.objects.first().pk,
    "/api/webhook-deliveries/": lambda: WebhookDelivery.objects.first().pk,
}
SNAPSHOT_MODELS = (
    Membership, OperatorGroup, ApiToken, Definition, Dependency, Version, Instance, HistoryEvent,
    HumanTask, WebhookSubscription, WebhookDelivery,
)  # fmt: skip


def snapshot(tenant) -> dict:
    """Every row of ``tenant`` in the models the API reaches, plus group members."""
    with tenant_scope(tenant):
        rows = {m.__name__: sorted(m.objects.values_list(), key=str) for m in SNAPSHOT_MODELS}
        rows["group members"] = sorted(
            OperatorGroup.objects.values_list("name", "members__username"), key=str
        )
    return rows


@pytest.fixture
def tenant_a_world(tenant_a, api_as, published, run_worker):  # noqa: F811
    """Tenant A with one object of every kind the API exposes."""
    admin = api_as(tenant_a, "admin")
    add_to_group(tenant=tenant_a, group_name="reviewers", user=admin.user)
    published(tenant_a, APPROVAL)
    admin.post("/api/instances/", {"definition": "approval", "data": {}}, format="json")
    run_worker()
    with tenant_scope(tenant_a):
        Dependency.objects.create(tenant=tenant_a, name="payments", rate_limit_tps=5)
        subscription = WebhookSubscription.objects.create(
            tenant=tenant_a, url="https://hooks.example.com/a", events=["instance.completed"],
            secret_encrypted="x",
        )  # fmt: skip
    record_event(tenant_id=tenant_a.pk, event="instance.completed", payload={"instance": {}})
    with tenant_scope(tenant_a):
        assert subscription.deliveries.exists() and HumanTask.objects.exists()
    return tenant_a


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(public=True)
    return [
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_object_endpoint_answers_404_to_another_tenant_and_changes_nothing(
    tenant_a_world,
    tenant_b,
    api_as,  # noqa: F811
):
    intruder = api_as(tenant_b, "admin")
    before = snapshot(tenant_a_world)
    checked = []
    with tenant_scope(tenant_a_world):
        ids = {prefix: find() for prefix, find in OBJECTS.items()}
    for path, method in operations():
        if "{id}" not in path:
            continue
        prefix = path.split("{id}")[0]
        assert prefix in ids, f"{method} {path}: add its resource to OBJECTS"
        url = path.replace("{id}", str(ids[prefix]))
        response = intruder.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert response["Content-Type"] == "application/problem+json"
        checked.append((method, path))
    assert len(checked) >= 25
    assert snapshot(tenant_a_world) == before


def test_no_list_shows_another_tenants_objects(tenant_a_world, tenant_b, api_as):  # noqa: F811
    intruder = api_as(tenant_b, "admin", username="intruder")
    with tenant_scope(tenant_a_world):
        foreign = {prefix: find() for prefix, find in OBJECTS.items()}
    lists = [p for p, m in operations() if m == "GET" and not re.search(r"{\w+}", p)]
    lists = [p for p in lists if p.startswith(tuple(OBJECTS))]
    assert set(lists) == set(OBJECTS)
    for path in lists:
        response = intruder.get(path, {"view": "all"} if path == "/api/tasks/" else {})
        assert response.status_code == 200, path
        ids = {item["id"] for item in response.json()["results"]}
        assert foreign[path] not in ids or path in ("/api/members/", "/api/tokens/"), path
        if path in ("/api/members/", "/api/tokens/"):
            # B's own membership and token exist; none of A's may show.
            usernames = {item.get("username") for item in response.json()["results"]}
            assert usernames == {"intruder"}, path


def test_filters_naming_another_tenants_objects_find_nothing(
    tenant_a_world,
    tenant_b,
    api_as,  # noqa: F811
):
    intruder = api_as(tenant_b, "admin")
    with tenant_scope(tenant_a_world):
        version = Version.objects.first()
    for path, params in (
        ("/api/versions/", {"definition": version.definition_id}),
        ("/api/instances/", {"version": version.pk}),
        ("/api/instances/", {"definition": "approval"}),
        ("/api/tasks/", {"workflow": "approval", "view": "all"}),
    ):
        response = intruder.get(path, params)
        assert response.status_code in (200, 400), path
        if response.status_code == 200:
            assert response.json()["results"] == [], (path, params)


def test_starting_another_tenants_definition_is_404(tenant_a_world, tenant_b, api_as):  # noqa: F811
    intruder = api_as(tenant_b, "admin")
    before = snapshot(tenant_a_world)
    response = intruder.post(
        "/api/instances/", {"definition": "approval", "data": {}}, format="json"
    )
    assert response.status_code == 404
    assert snapshot(tenant_a_world) == before


def test_a_token_of_tenant_a_held_by_a_member_of_both_still_sees_only_tenant_a(
    tenant_a_world, tenant_b, make_member, make_token
):
    from rest_framework.test import APIClient

    from workflow_platform.tenancy.services import add_member

    both = make_member(tenant_b, "admin", username="member-of-both")
    add_member(tenant=tenant_a_world, user=both, role="viewer")
    _, raw = make_token(tenant_b, both)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/instances/").json()["results"] == []
    assert get_user_model().objects.filter(username="member-of-both").exists()


def test_a_browser_session_in_tenant_b_gets_404_for_tenant_a_objects(
    tenant_a_world, tenant_b, make_member, client
):
    make_member(tenant_b, "admin", username="browser-b")
    client.login(username="browser-b", password="pw-for-tests")
    with tenant_scope(tenant_a_world):
        instance, task = Instance.objects.first(), HumanTask.objects.first()
    assert client.get(f"/api/instances/{instance.pk}/").status_code == 404
    assert client.get(f"/api/tasks/{task.pk}/").status_code == 404
    assert client.get("/api/instances/").json()["results"] == []


def test_migrating_another_tenants_instances_is_404_and_moves_nothing(
    tenant_a_world,
    tenant_b,
    api_as,  # noqa: F811
):
    intruder = api_as(tenant_b, "admin")
    with tenant_scope(tenant_a_world):
        instance, version = Instance.objects.first(), Version.objects.first()
    before = snapshot(tenant_a_world)
    for dry_run in (True, False):
        response = intruder.post(
            "/api/instances/migrate/",
            {"instances": [instance.pk], "to_version": version.pk, "dry_run": dry_run},
            format="json",
        )
        assert response.status_code == 404
    assert snapshot(tenant_a_world) == before
