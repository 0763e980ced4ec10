"""Human tasks through the API: the inbox views, claim, release, complete, reassign."""

from __future__ import annotations

import copy

from .conftest import APPROVAL


def open_task(tenant, api_as, published, run_worker):
    published(tenant, APPROVAL)
    starter = api_as(tenant, "operator")
    instance = starter.post(
        "/api/instances/", {"definition": "approval", "data": {"item": "laptop"}}, format="json"
    ).json()
    run_worker()
    tasks = starter.get("/api/tasks/", {"view": "unassigned"}).json()["results"]
    assert [t["instance"] for t in tasks] == [instance["id"]]
    return instance, tasks[0]


def test_an_operator_claims_and_completes_a_task_and_the_instance_finishes(
    tenant_a, api_as, published, run_worker
):
    instance, task = open_task(tenant_a, api_as, published, run_worker)
    assert task["title"] == "Review laptop"
    operator = api_as(tenant_a, "operator")
    claimed = operator.post(f"/api/tasks/{task['id']}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == operator.user.username
    assert [t["id"] for t in operator.get("/api/tasks/", {"view": "mine"}).json()["results"]] == [
        task["id"]
    ]
    done = operator.post(
        f"/api/tasks/{task['id']}/complete/",
        {"decision": "approve", "data": {"note": "fine"}},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "completed"
    run_worker()
    final = operator.get(f"/api/instances/{instance['id']}/").json()
    assert (final["state"], final["status"]) == ("approved", "completed")


def test_form_data_that_does_not_fit_the_form_is_refused_with_the_fields(
    tenant_a, api_as, published, run_worker
):
    _, task = open_task(tenant_a, api_as, published, run_worker)
    response = api_as(tenant_a, "operator").post(
        f"/api/tasks/{task['id']}/complete/", {"decision": "approve", "data": {}}, format="json"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "note" in str(response.json()["details"])


def test_a_task_claimed_by_a_colleague_is_a_conflict(tenant_a, api_as, published, run_worker):
    from workflow_platform.tenancy.services import add_to_group

    first, second = api_as(tenant_a, "operator"), api_as(tenant_a, "operator")
    for client in (first, second):
        add_to_group(tenant=tenant_a, group_name="reviewers", user=client.user)
    document = copy.deepcopy(APPROVAL)
    document["states"][0]["task"]["assign"] = {"group": "reviewers"}
    published(tenant_a, document)
    first.post("/api/instances/", {"definition": "approval", "data": {}}, format="json")
    run_worker()
    (task,) = second.get("/api/tasks/", {"view": "groups"}).json()["results"]
    assert first.post(f"/api/tasks/{task['id']}/claim/").status_code == 200
    late = second.post(f"/api/tasks/{task['id']}/claim/")
    assert late.status_code == 409
    assert late.json()["code"] == "task_claimed_by_other"


def test_a_stale_if_match_is_refused(tenant_a, api_as, published, run_worker):
    _, task = open_task(tenant_a, api_as, published, run_worker)
    operator = api_as(tenant_a, "operator")
    etag = operator.get(f"/api/tasks/{task['id']}/")["ETag"]
    operator.post(f"/api/tasks/{task['id']}/claim/", HTTP_IF_MATCH=etag)
    stale = operator.post(f"/api/tasks/{task['id']}/release/", HTTP_IF_MATCH=etag)
    assert stale.status_code == 409


def test_if_match_star_acts_on_whatever_revision_the_task_has(
    tenant_a, api_as, published, run_worker
):
    _, task = open_task(tenant_a, api_as, published, run_worker)
    operator = api_as(tenant_a, "operator")
    claimed = operator.post(f"/api/tasks/{task['id']}/claim/", HTTP_IF_MATCH="*")
    assert claimed.status_code == 200, claimed.json()


def test_release_gives_the_task_back(tenant_a, api_as, published, run_worker):
    _, task = open_task(tenant_a, api_as, published, run_worker)
    operator = api_as(tenant_a, "operator")
    operator.post(f"/api/tasks/{task['id']}/claim/")
    released = operator.post(f"/api/tasks/{task['id']}/release/")
    assert (released.json()["status"], released.json()["assignee"]) == ("open", None)


def test_an_admin_reassigns_a_task_to_a_group(tenant_a, api_as, published, run_worker, make_member):
    from workflow_platform.tenancy.services import add_to_group

    _, task = open_task(tenant_a, api_as, published, run_worker)
    add_to_group(tenant=tenant_a, group_name="finance", user=make_member(tenant_a, "operator"))
    moved = api_as(tenant_a, "admin").post(
        f"/api/tasks/{task['id']}/reassign/", {"group": "finance"}, format="json"
    )
    assert moved.status_code == 200
    assert moved.json()["group"] == "finance"


def test_viewers_read_tasks_but_cannot_claim(tenant_a, api_as, published, run_worker):
    _, task = open_task(tenant_a, api_as, published, run_worker)
    viewer = api_as(tenant_a, "viewer")
    assert viewer.get(f"/api/tasks/{task['id']}/").status_code == 200
    assert viewer.post(f"/api/tasks/{task['id']}/claim/").status_code == 403


def test_a_bad_view_is_a_400(tenant_a, api_as):
    assert api_as(tenant_a).get("/api/tasks/", {"view": "everyone"}).status_code == 400
