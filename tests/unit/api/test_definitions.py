"""Definitions and versions through the API: drafts, ETags, publish, diff, export, import."""

from __future__ import annotations

import copy
import json

import yaml

from .conftest import APPROVAL


def create(client, document=None, key="approval"):
    document = copy.deepcopy(document or {"format": "workflow-island/v1", **APPROVAL})
    document["key"] = key
    return client.post(
        "/api/definitions/", {"key": key, "name": "Approval", "document": document}, format="json"
    )


def test_a_designer_creates_a_definition_with_a_draft_and_its_etag(tenant_a, api_as):
    response = create(api_as(tenant_a, "designer"))
    assert response.status_code == 201, response.json()
    version = response.json()
    assert (version["number"], version["status"]) == (1, "draft")
    assert response["ETag"] == f'"{version["checksum"]}"'


def test_an_operator_cannot_edit_definitions(tenant_a, api_as):
    assert create(api_as(tenant_a, "operator")).status_code == 403


def test_a_designer_renames_a_definition_and_changes_its_description(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    definition = create(client).json()["definition"]
    changed = client.patch(
        f"/api/definitions/{definition}/",
        {"name": "Approval (EU)", "description": "Above 100 EUR.", "key": "other"},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert (body["key"], body["name"], body["description"]) == (
        "approval", "Approval (EU)", "Above 100 EUR.",
    )  # fmt: skip
    only_name = client.patch(f"/api/definitions/{definition}/", {"name": "A"}, format="json")
    assert only_name.json()["description"] == "Above 100 EUR."


def test_renaming_needs_the_designer_role_a_name_and_your_own_definition(
    tenant_a, tenant_b, api_as
):
    definition = create(api_as(tenant_a, "designer")).json()["definition"]
    url = f"/api/definitions/{definition}/"
    assert api_as(tenant_a, "operator").patch(url, {"name": "x"}, format="json").status_code == 403
    blank = api_as(tenant_a, "designer").patch(url, {"name": ""}, format="json")
    assert (blank.status_code, list(blank.json()["errors"])) == (400, ["name"])
    assert api_as(tenant_b, "admin").patch(url, {"name": "x"}, format="json").status_code == 404
    assert api_as(tenant_a, "viewer").get(url).json()["name"] == "Approval"


def test_a_taken_key_is_a_conflict(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    create(client)
    assert create(client).status_code == 409


def test_saving_with_a_stale_if_match_is_412_and_changes_nothing(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    created = create(client)
    version_id, etag = created.json()["id"], created["ETag"]
    changed = copy.deepcopy(created.json()["document"])
    changed["states"][0]["label"] = "Review it"
    first = client.put(
        f"/api/versions/{version_id}/", {"document": changed}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200, first.json()
    assert first["ETag"] != etag
    changed["states"][0]["label"] = "Someone else's label"
    stale = client.put(
        f"/api/versions/{version_id}/", {"document": changed}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "draft_changed"
    stored = client.get(f"/api/versions/{version_id}/").json()["document"]
    assert stored["states"][0]["label"] == "Review it"


def test_saving_without_if_match_is_428_and_changes_nothing(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    created = create(client).json()
    changed = copy.deepcopy(created["document"])
    changed["states"][0]["label"] = "Unconditional"
    for headers in ({}, {"HTTP_IF_MATCH": "  "}):
        response = client.put(
            f"/api/versions/{created['id']}/", {"document": changed}, format="json", **headers
        )
        assert response.status_code == 428
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "if_match_required"
    stored = client.get(f"/api/versions/{created['id']}/")
    assert stored.json()["document"] == created["document"]


def test_if_match_star_saves_over_whatever_the_draft_holds(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    created = create(client).json()
    changed = copy.deepcopy(created["document"])
    changed["states"][0]["label"] = "Overwritten"
    response = client.put(
        f"/api/versions/{created['id']}/", {"document": changed}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["document"]["states"][0]["label"] == "Overwritten"
    assert response["ETag"] == f'"{response.json()["checksum"]}"'


def test_if_match_may_list_etags_and_one_current_is_enough(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    created = create(client)
    changed = copy.deepcopy(created.json()["document"])
    changed["states"][0]["label"] = "Listed"
    response = client.put(
        f"/api/versions/{created.json()['id']}/", {"document": changed}, format="json",
        HTTP_IF_MATCH=f'"0000", {created["ETag"]}',
    )  # fmt: skip
    assert response.status_code == 200, response.json()


def test_an_invalid_draft_is_422_with_its_problems_and_stays_a_draft(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    document = {"format": "workflow-island/v1", **copy.deepcopy(APPROVAL)}
    document["transitions"].append({"from": "review", "to": "nowhere", "on": "approve"})
    version = create(client, document).json()
    checked = client.post(f"/api/versions/{version['id']}/validate/", {}, format="json").json()
    assert checked["valid"] is False and checked["problems"]
    response = client.post(f"/api/versions/{version['id']}/publish/")
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_definition"
    assert response.json()["details"]
    assert client.get(f"/api/versions/{version['id']}/").json()["status"] == "draft"


def test_publish_new_draft_diff_and_retire(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    v1 = create(client).json()
    published = client.post(f"/api/versions/{v1['id']}/publish/")
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published"
    again = client.put(
        f"/api/versions/{v1['id']}/", {"document": v1["document"]}, format="json", HTTP_IF_MATCH="*"
    )
    assert again.status_code == 409

    v2 = client.post(f"/api/definitions/{v1['definition']}/drafts/", {}, format="json").json()
    assert v2["number"] == 2
    document = copy.deepcopy(v2["document"])
    document["states"].append({"name": "escalated", "kind": "final"})
    document["transitions"].append({"from": "review", "to": "escalated", "on": "escalate"})
    saved = client.put(
        f"/api/versions/{v2['id']}/", {"document": document}, format="json", HTTP_IF_MATCH="*"
    )
    assert saved.status_code == 200, saved.json()
    diff = client.get(f"/api/versions/{v2['id']}/diff/").json()
    assert diff["against"] == v1["id"]
    assert "escalated" in str(diff["states"]["added"])

    retired = client.post(f"/api/versions/{v1['id']}/retire/")
    assert retired.json()["status"] == "retired"


def test_export_and_import_round_trip_in_yaml(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    v1 = create(client).json()
    exported = client.get(f"/api/versions/{v1['id']}/export/", {"format": "yaml"})
    assert exported["Content-Type"] == "application/yaml"
    text = exported.content.decode()
    assert yaml.safe_load(text)["key"] == "approval"
    renamed = text.replace("key: approval", "key: approval-copy")
    imported = client.post(
        "/api/definitions/import/", {"format": "yaml", "text": renamed}, format="json"
    )
    assert imported.status_code == 201, imported.json()
    assert imported.json()["definition_key"] == "approval-copy"
    broken = client.post(
        "/api/definitions/import/", {"format": "yaml", "text": "key: [unclosed"}, format="json"
    )
    assert broken.status_code == 400


def test_a_definition_in_use_cannot_be_deleted_but_an_unused_one_can(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    used = create(client).json()
    client.post(f"/api/versions/{used['id']}/publish/")
    assert client.delete(f"/api/definitions/{used['definition']}/").status_code == 409
    unused = create(client, key="scratch").json()
    assert client.delete(f"/api/definitions/{unused['definition']}/").status_code == 204
    assert client.get(f"/api/definitions/{unused['definition']}/").status_code == 404


def test_lists_filter_versions_by_definition_and_status(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    v1 = create(client).json()
    create(client, key="other")
    client.post(f"/api/versions/{v1['id']}/publish/")
    listed = client.get("/api/versions/", {"status": "published"}).json()["results"]
    assert [v["id"] for v in listed] == [v1["id"]]
    assert "document" not in listed[0]
    keys = [d["key"] for d in client.get("/api/definitions/").json()["results"]]
    assert keys == ["approval", "other"]


def test_an_asl_machine_is_imported_with_a_key_and_refused_with_located_problems(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    machine = {
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Result": "hi", "ResultPath": "$.greeting", "End": True}
        },
    }
    imported = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "hello-asl", "text": json.dumps(machine)},
        format="json",
    )
    assert imported.status_code == 201, imported.json()
    assert imported.json()["definition_key"] == "hello-asl"
    no_key = client.post(
        "/api/definitions/import/", {"format": "asl", "text": json.dumps(machine)}, format="json"
    )
    assert no_key.status_code == 400 and "key" in no_key.json()["errors"]
    machine["States"]["Greet"]["Next"] = "Nowhere"
    bad = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "bad-asl", "text": json.dumps(machine)},
        format="json",
    )
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "invalid_asl"
    assert {"States.Greet", "States.Greet.Next"} <= {p["path"] for p in body["details"]}


def test_an_imported_asl_machine_exports_back_to_asl(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    machine = {
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Result": "hi", "ResultPath": "$.greeting", "End": True}
        },
    }
    version = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "hello-asl", "text": json.dumps(machine)},
        format="json",
    ).json()
    exported = client.get(f"/api/versions/{version['id']}/export/", {"format": "asl"})
    assert exported.status_code == 200
    assert exported["Content-Disposition"].endswith('hello-asl-v1.asl.json"')
    assert json.loads(exported.content) == machine
    native = create(client).json()
    refused = client.get(f"/api/versions/{native['id']}/export/", {"format": "asl"})
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_asl"
    assert refused.json()["details"][0]["code"] == "not_exportable"


def test_an_asl_map_imports_with_its_child_definition_published(tenant_a, api_as):
    client = api_as(tenant_a, "designer")
    machine = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.xs", "End": True,
        "ItemProcessor": {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}}}}  # fmt: skip
    imported = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "fan", "text": json.dumps(machine)},
        format="json",
    )
    assert imported.status_code == 201, imported.json()
    child_key = imported.json()["document"]["states"][0]["parallel"]["workflow"]
    listed = client.get("/api/definitions/", {"key": child_key}).json()["results"]
    assert listed and listed[0]["published_version"] is not None
    published = client.post(f"/api/versions/{imported.json()['id']}/publish/")
    assert published.status_code == 200, published.json()
    again = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "fan-2", "text": json.dumps(machine)},
        format="json",
    )
    assert again.status_code == 201  # another parent reuses nothing by accident: own key
