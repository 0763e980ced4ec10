"""Operator repairs through the API (suspend, resume, redrive, migrate) and the wait
state's async-completion callback."""

from __future__ import annotations

import copy

from rest_framework.test import APIClient

from tests.factories import start_via_api
from workflow_platform.actions.registry import register_callable

from .conftest import APPROVAL

TOKENS: list[str] = []


@register_callable("api-tests.hand_out_token", in_thread=False)
def hand_out_token(call):
    TOKENS.append(call.data["wait"]["token"])
    return {}


FAILING = {
    "key": "failing",
    "initial": "charge",
    "states": [{"name": "charge"}, {"name": "done", "kind": "final"}],
    "transitions": [{"from": "charge", "to": "done", "action": "charge"}],
    "actions": {"charge": {"type": "python", "params": {"callable": "fail"}}},
}
WAITING = {
    "key": "export",
    "initial": "new",
    "states": [
        {"name": "new"},
        {"name": "awaiting", "kind": "wait", "wait": {"deadline": "1h"}},
        {"name": "done", "kind": "final"},
        {"name": "expired", "kind": "final"},
    ],
    "transitions": [
        {"from": "new", "to": "awaiting", "action": "submit"},
        {"from": "awaiting", "to": "done", "on": "completed"},
        {"from": "awaiting", "to": "expired", "on": "deadline"},
    ],
    "actions": {"submit": {"type": "python", "params": {"callable": "api-tests.hand_out_token"}}},
}


def test_suspend_and_resume(tenant_a, api_as, published, run_worker):
    published(tenant_a, APPROVAL)
    operator = api_as(tenant_a, "operator")
    instance = start_via_api(operator, "approval", expect_status=201).json()
    run_worker()
    url = f"/api/instances/{instance['id']}/"
    suspended = operator.post(url + "suspend/", {"reason": "audit"}, format="json")
    assert suspended.json()["status"] == "suspended"
    assert operator.post(url + "suspend/", {}, format="json").status_code == 409
    assert operator.post(url + "resume/").json()["status"] == "waiting"


def test_redrive_reruns_a_failed_step_and_refuses_a_healthy_instance(
    tenant_a, api_as, published, run_worker
):
    published(tenant_a, FAILING)
    published(tenant_a, APPROVAL)
    operator = api_as(tenant_a, "operator")
    failed = start_via_api(operator, "failing", expect_status=201).json()
    run_worker()
    assert operator.get(f"/api/instances/{failed['id']}/").json()["has_incident"] is True
    redriven = operator.post(f"/api/instances/{failed['id']}/redrive/")
    assert redriven.status_code == 200
    assert redriven.json()["has_incident"] is False
    healthy = start_via_api(operator, "approval", expect_status=201).json()
    refused = operator.post(f"/api/instances/{healthy['id']}/redrive/")
    assert (refused.status_code, refused.json()["code"]) == (409, "instance_not_failed")


def test_migrate_reports_first_then_moves_instances_to_the_new_version(
    tenant_a, api_as, quiet_dispatch, run_worker
):
    designer = api_as(tenant_a, "admin")
    document = {"format": "workflow-island/v1", **copy.deepcopy(APPROVAL)}
    v1 = designer.post(
        "/api/definitions/", {"key": "approval", "name": "A", "document": document}, format="json"
    ).json()
    designer.post(f"/api/versions/{v1['id']}/publish/")
    instance = start_via_api(designer, "approval", expect_status=201).json()
    run_worker()
    v2 = designer.post(f"/api/definitions/{v1['definition']}/drafts/", {}, format="json").json()
    designer.post(f"/api/versions/{v2['id']}/publish/")

    body = {"instances": [instance["id"]], "to_version": v2["id"]}
    report = designer.post("/api/instances/migrate/", body, format="json")
    assert report.status_code == 200, report.json()
    assert (report.json()["dry_run"], report.json()["ok"]) == (True, True)
    assert designer.get(f"/api/instances/{instance['id']}/").json()["version_number"] == 1

    moved = designer.post("/api/instances/migrate/", {**body, "dry_run": False}, format="json")
    assert moved.json()["dry_run"] is False
    assert designer.get(f"/api/instances/{instance['id']}/").json()["version_number"] == 2


def test_a_wait_is_completed_by_its_token_once_without_an_api_token(
    tenant_a, api_as, published, run_worker
):
    TOKENS.clear()
    published(tenant_a, WAITING)
    operator = api_as(tenant_a, "operator")
    instance = start_via_api(operator, "export", expect_status=201).json()
    run_worker()
    (token,) = TOKENS
    dependency = APIClient()  # no credentials: the token is the credential
    done = dependency.post(
        "/api/wait-completions/", {"token": token, "payload": {"url": "s3://x"}}, format="json"
    )
    assert done.status_code == 200, done.json()
    assert done.json()["instance"] == instance["id"]
    again = dependency.post("/api/wait-completions/", {"token": token}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "wait_already_ended")
    forged = dependency.post(
        "/api/wait-completions/", {"token": f"{instance['id']}.1.forged"}, format="json"
    )
    assert forged.status_code == 404
    run_worker()
    final = operator.get(f"/api/instances/{instance['id']}/").json()
    assert (final["state"], final["data"]["url"]) == ("done", "s3://x")
