"""Tenant isolation of the whole REST API: tenant B's admin gets 404 for every object
of tenant A, on every endpoint and method, and nothing of tenant A changes. A member of
B without the role (an operator) gets exactly what a missing id gets: a 404, or the
403 of a role check that runs before any lookup, the same for every id. Ids and names of
tenant A inside bodies and query parameters find nothing either (404 or 400, no change,
the same answer as for a name that does not exist).

The endpoints come from the live OpenAPI schema, so a new endpoint without an entry in
``OBJECTS`` fails this test instead of slipping through unchecked.
"""

from __future__ import annotations

import re

import pytest

from tests.factories import api_client
from tests.unit.api.conftest import (  # noqa: F401 - fixtures
    APPROVAL,
    api_as,
    fast_passwords,
    published,
    quiet_dispatch,
    run_worker,
)
from workflow_platform.api.schema import PlatformSchemaGenerator as SchemaGenerator
from workflow_platform.definitions.models import Definition, Dependency, Version
from workflow_platform.engine.models import HistoryEvent, Instance
from workflow_platform.tenancy.models import ApiToken, Membership, OperatorGroup
from workflow_platform.tenancy.scoping import tenant_scope
from workflow_platform.tenancy.services import add_to_group
from workflow_platform.webhooks.models import WebhookDelivery, WebhookSubscription
from workflow_platform.webhooks.services import record_event
from workflow_platform.worklist.models import HumanTask

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
    reviewer = api_as(tenant_a, "operator", username="reviewer-of-a")
    add_to_group(tenant=tenant_a, group_name="reviewers", user=reviewer.user)
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


MISSING_ID = 987_654_321


def _without_instance(response) -> tuple[int, dict]:
    return response.status_code, {**response.json(), "instance": ""}


def test_every_object_endpoint_answers_404_to_another_tenants_admin_and_changes_nothing(
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
        url = path.replace("{id}", str(ids[prefix])).replace("{username}", "reviewer-of-a")
        response = intruder.generic(method, url, "{}", content_type="application/json")
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert response["Content-Type"] == "application/problem+json"
        checked.append((method, path))
    assert len(checked) >= 30
    assert snapshot(tenant_a_world) == before


def test_an_operator_of_another_tenant_learns_nothing_more_than_from_a_missing_id(
    tenant_a_world,
    tenant_b,
    api_as,  # noqa: F811
):
    intruder = api_as(tenant_b, "operator")
    before = snapshot(tenant_a_world)
    with tenant_scope(tenant_a_world):
        ids = {prefix: find() for prefix, find in OBJECTS.items()}
    statuses = set()
    for path, method in operations():
        if "{id}" not in path:
            continue
        prefix = path.split("{id}")[0]
        foreign = path.replace("{id}", str(ids[prefix])).replace("{username}", "reviewer-of-a")
        missing = path.replace("{id}", str(MISSING_ID)).replace("{username}", "reviewer-of-a")
        theirs = intruder.generic(method, foreign, "{}", content_type="application/json")
        nothing = intruder.generic(method, missing, "{}", content_type="application/json")
        assert theirs.status_code in (403, 404), f"{method} {foreign}: {theirs.status_code}"
        assert _without_instance(theirs) == _without_instance(nothing), f"{method} {path}"
        statuses.add(theirs.status_code)
    assert statuses == {403, 404}  # both kinds were exercised
    assert snapshot(tenant_a_world) == before


@pytest.fixture
def tenant_b_world(tenant_b, api_as, published, run_worker):  # noqa: F811
    """Tenant B with its own published workflow, an open task, a group and a webhook."""
    admin = api_as(tenant_b, "admin", username="admin-of-b")
    add_to_group(tenant=tenant_b, group_name="b-team", user=admin.user)
    document = {**APPROVAL, "key": "b-approval"}
    published(tenant_b, document)
    admin.post("/api/instances/", {"definition": "b-approval", "data": {}}, format="json")
    run_worker()
    with tenant_scope(tenant_b):
        WebhookSubscription.objects.create(
            tenant=tenant_b, url="https://hooks.example.com/b", events=["instance.failed"],
            secret_encrypted="x",
        )  # fmt: skip
        admin.ids = {
            "definition": Definition.objects.get().pk,
            "version": Version.objects.get().pk,
            "instance": Instance.objects.get().pk,
            "task": HumanTask.objects.get().pk,
            "group": OperatorGroup.objects.get().pk,
        }
    return admin


def test_ids_and_names_of_another_tenant_in_bodies_find_nothing_and_change_nothing(
    tenant_a_world, tenant_b, tenant_b_world
):
    intruder, own, reviewer = tenant_b_world, tenant_b_world.ids, "reviewer-of-a"
    with tenant_scope(tenant_a_world):
        version = Version.objects.first()
    before_a, before_b = snapshot(tenant_a_world), snapshot(tenant_b)

    def post(url, body):
        return intruder.post(url, body, format="json")

    # (request, request with a name that exists nowhere): the answers must be the same.
    pairs = [
        (
            lambda v: post(f"/api/definitions/{own['definition']}/drafts/", {"from_version": v}),
            version.pk, MISSING_ID,
        ),
        (
            lambda v: intruder.get(f"/api/versions/{own['version']}/diff/", {"against": v}),
            version.pk, MISSING_ID,
        ),
        (
            lambda v: post("/api/instances/migrate/", {
                "instances": [own["instance"]], "to_version": v, "dry_run": False,
            }),
            version.pk, MISSING_ID,
        ),
        (
            lambda name: post(
                "/api/instances/migrate/", {"instances": [name], "to_version": own["version"]}
            ),
            Instance.objects.for_tenant(tenant_a_world).first().pk, MISSING_ID,
        ),
        (
            lambda name: post(f"/api/tasks/{own['task']}/reassign/", {"username": name}),
            reviewer, "nobody-anywhere",
        ),
        (
            lambda name: post(f"/api/tasks/{own['task']}/reassign/", {"group": name}),
            "reviewers", "no-such-group",
        ),
        (lambda name: post("/api/members/", {"username": name, "role": "admin"}), reviewer,
         "nobody-anywhere"),
        (lambda name: post("/api/groups/", {"name": "raid", "members": [name]}), reviewer,
         "nobody-anywhere"),
        (lambda name: post(f"/api/groups/{own['group']}/members/", {"username": name}),
         reviewer, "nobody-anywhere"),
        (lambda name: intruder.delete(f"/api/groups/{own['group']}/members/{name}/"), reviewer,
         "nobody-anywhere"),
        (lambda name: post("/api/tokens/", {"name": "raid", "username": name}), reviewer,
         "nobody-anywhere"),
        (lambda key: post("/api/instances/", {"definition": key, "data": {}}), "approval",
         "no-such-workflow"),
    ]  # fmt: skip
    for number, (request, foreign, missing) in enumerate(pairs):
        theirs, nothing = request(foreign), request(missing)
        assert theirs.status_code in (400, 404), (number, theirs.status_code, theirs.content)
        assert _without_instance(theirs)[0] == _without_instance(nothing)[0], number
        assert theirs.json()["code"] == nothing.json()["code"], number
    assert snapshot(tenant_a_world) == before_a
    assert snapshot(tenant_b) == before_b


def test_a_document_naming_another_tenants_group_validates_like_an_unknown_group(
    tenant_a_world, tenant_b_world
):
    def problems(group: str) -> list[str]:
        document = {"format": "workflow-island/v1", **APPROVAL, "key": "b-approval"}
        document = {**document, "states": [dict(s) for s in document["states"]]}
        document["states"][0]["task"] = {
            **document["states"][0]["task"],
            "assign": {"group": group},
        }
        answer = tenant_b_world.post(
            f"/api/versions/{tenant_b_world.ids['version']}/validate/", {"document": document},
            format="json",
        ).json()  # fmt: skip
        return [p["code"] for p in answer["problems"]]

    assert problems("reviewers") == problems("no-such-group") != []


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
        subscription = WebhookSubscription.objects.first()
        instance = Instance.objects.first()
    for path, params in (
        ("/api/versions/", {"definition": version.definition_id}),
        ("/api/versions/", {"definition": version.definition_id, "number": version.number}),
        ("/api/instances/", {"version": version.pk}),
        ("/api/instances/", {"definition": "approval"}),
        ("/api/tasks/", {"workflow": "approval", "view": "all"}),
        ("/api/tasks/", {"group": "reviewers", "view": "all"}),
        ("/api/webhook-deliveries/", {"subscription": subscription.pk}),
        ("/api/members/", {"role": "admin"}),
        ("/api/groups/", {"name": "reviewers"}),
        ("/api/tokens/", {"username": "reviewer-of-a"}),
    ):
        response = intruder.get(path, params)
        assert response.status_code == 200, (path, params, response.content)
        found = response.json()["results"]
        assert not [row for row in found if row.get("username") == "reviewer-of-a"], path
        if path not in ("/api/members/", "/api/tokens/"):
            assert found == [], (path, params)
    history = intruder.get(f"/api/instances/{instance.pk}/history/", {"type": "started"})
    assert history.status_code == 404


def test_starting_another_tenants_definition_is_404(tenant_a_world, tenant_b, api_as):  # noqa: F811
    intruder = api_as(tenant_b, "admin")
    before = snapshot(tenant_a_world)
    response = intruder.post(
        "/api/instances/", {"definition": "approval", "data": {}}, format="json"
    )
    assert response.status_code == 404
    assert snapshot(tenant_a_world) == before


def test_a_member_of_both_tenants_sees_only_the_tenant_of_the_token_in_use(
    tenant_a_world, tenant_b, make_member
):
    from workflow_platform.tenancy.services import add_member

    both = make_member(tenant_b, "admin", username="member-of-both")
    add_member(tenant=tenant_a_world, user=both, role="viewer")
    with tenant_scope(tenant_a_world):
        instance_of_a = Instance.objects.get()

    as_b, as_a = api_client(tenant_b, both), api_client(tenant_a_world, both)
    assert as_b.get("/api/instances/").json()["results"] == []
    assert as_b.get(f"/api/instances/{instance_of_a.pk}/").status_code == 404
    assert [i["id"] for i in as_a.get("/api/instances/").json()["results"]] == [instance_of_a.pk]
    assert as_a.get(f"/api/instances/{instance_of_a.pk}/").status_code == 200
    # The token of A carries A's role (viewer), not the admin role the user has in B.
    assert as_a.get("/api/tokens/").status_code == 403
    assert as_b.get("/api/tokens/").status_code == 200


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


def test_the_platform_tenant_endpoints_answer_a_tenant_admin_403_for_every_slug(
    tenant_a_world,
    tenant_b,
    api_as,  # noqa: F811
):
    """/api/tenants/ is the platform superuser's: its paths name a slug, not an id, so
    the matrix above skips them. A tenant admin gets one 403 whatever the slug (their
    own, another tenant's, none), before any lookup, and nothing changes."""
    from workflow_platform.tenancy.models import Tenant, TenantSettingChange

    intruder = api_as(tenant_b, "admin")
    before = snapshot(tenant_a_world)
    checked = []
    for path, method in operations():
        if not path.startswith("/api/tenants/"):
            continue
        answers = set()
        for slug in (tenant_a_world.slug, tenant_b.slug, "no-such-tenant"):
            response = intruder.generic(
                method, path.replace("{slug}", slug), '{"allow_private_network": true}',
                content_type="application/json",
            )  # fmt: skip
            answers.add((response.status_code, response.json()["code"]))
        assert answers == {(403, "permission_denied")}, (method, path, answers)
        checked.append((method, path))
    assert len(checked) == 4  # list, read, change, audit trail
    assert snapshot(tenant_a_world) == before
    assert not Tenant.objects.filter(allow_private_network=True).exists()
    assert not TenantSettingChange.objects.with_scopes_disabled().exists()
