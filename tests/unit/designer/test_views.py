"""The designer's endpoints: who may edit, saving with conflicts, validating, publishing."""

import json

from django.urls import reverse

from workflow_platform.definitions.models import Version
from workflow_platform.definitions.services import create_definition, save_draft
from workflow_platform.tenancy.models import OperatorGroup
from workflow_platform.tenancy.scoping import tenant_scope


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_editor_page_carries_the_document_and_is_editable_for_designers(designer_client, draft):
    response = designer_client.get(reverse("designer:editor", args=[draft.pk]))
    assert response.status_code == 200
    config = response.context["config"]
    assert config["editable"] is True
    assert config["document"]["initial"] == "received"
    assert b'id="btn-save"' in response.content


def test_viewers_see_the_editor_read_only_and_cannot_save(viewer_client, draft):
    page = viewer_client.get(reverse("designer:editor", args=[draft.pk]))
    assert page.context["config"]["editable"] is False
    assert b'id="btn-save"' not in page.content
    response = post_json(
        viewer_client, reverse("designer:save", args=[draft.pk]), {"document": draft.document}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "read_only"


def test_another_tenants_version_is_not_found(designer_client, tenant_b):
    other = create_definition(tenant=tenant_b, key="theirs", name="Theirs")
    assert designer_client.get(reverse("designer:editor", args=[other.pk])).status_code == 404


def test_saving_with_a_stale_checksum_returns_the_stored_draft(designer_client, tenant_a, draft):
    loaded = draft.checksum
    changed = {**draft.document, "name": "Changed elsewhere"}
    save_draft(tenant=tenant_a, version_id=draft.pk, document=changed)
    mine = {**draft.document, "name": "Mine"}
    response = post_json(
        designer_client,
        reverse("designer:save", args=[draft.pk]),
        {"document": mine, "expected_checksum": loaded},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "draft_changed"
    assert body["theirs"]["document"]["name"] == "Changed elsewhere"
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).document["name"] == (
        "Changed elsewhere"
    )


def test_a_save_with_the_current_checksum_stores_the_document(designer_client, tenant_a, draft):
    mine = {**draft.document, "name": "Renamed"}
    response = post_json(
        designer_client,
        reverse("designer:save", args=[draft.pk]),
        {"document": mine, "expected_checksum": draft.checksum},
    )
    assert response.status_code == 200
    stored = Version.objects.for_tenant(tenant_a).get(pk=draft.pk)
    assert stored.document["name"] == "Renamed"
    assert response.json()["version"]["checksum"] == stored.checksum


def test_validate_lists_problems_with_paths(designer_client, draft):
    broken = {**draft.document, "initial": "nowhere"}
    response = post_json(
        designer_client, reverse("designer:validate", args=[draft.pk]), {"document": broken}
    )
    assert response.status_code == 200
    assert any(p["path"] == "initial" for p in response.json()["problems"])


def test_publishing_an_invalid_draft_is_refused_with_its_problems(designer_client, tenant_a, draft):
    save_draft(tenant=tenant_a, version_id=draft.pk, document={**draft.document, "initial": "x"})
    response = post_json(designer_client, reverse("designer:publish", args=[draft.pk]), {})
    assert response.status_code == 422
    assert response.json()["details"]
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).status == "draft"


def test_a_panel_apply_sends_the_cleaned_state_to_the_editor(designer_client, draft):
    response = designer_client.post(
        reverse("designer:panel_state", args=[draft.pk]),
        {
            "document": json.dumps(draft.document),
            "original": "approved",
            "apply": "1",
            "name": "granted",
            "kind": "normal",
            "label": "Granted",
        },
    )
    assert response.status_code == 200
    event = json.loads(response["HX-Trigger"])["designer:apply"]
    assert event["original"] == "approved"
    assert event["value"]["state"] == {"name": "granted", "kind": "normal", "label": "Granted"}


def test_a_panel_with_errors_answers_422_and_no_event(designer_client, draft):
    response = designer_client.post(
        reverse("designer:panel_state", args=[draft.pk]),
        {
            "document": json.dumps(draft.document),
            "original": "approved",
            "apply": "1",
            "name": "bad name!",
            "kind": "normal",
        },
    )
    assert response.status_code == 422
    assert "HX-Trigger" not in response
    assert "not a valid state name" in response.content.decode()


def test_labels_with_markup_are_escaped_in_panels(designer_client, draft):
    document = {**draft.document}
    document["states"][1] = {"name": "approved", "label": "<script>alert(1)</script>"}
    response = designer_client.post(
        reverse("designer:panel_state", args=[draft.pk]),
        {"document": json.dumps(document), "original": "approved"},
    )
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_dry_run_endpoint_reports_candidates(designer_client, draft):
    response = post_json(
        designer_client,
        reverse("designer:dry_run", args=[draft.pk]),
        {
            "document": draft.document,
            "state": "received",
            "trigger": "decide",
            "data": {"amount": 10},
        },
    )
    assert response.status_code == 200
    assert response.json()["fires"] == {"index": 0, "to": "approved"}


def test_creating_a_definition_opens_an_empty_draft(designer_client, tenant_a):
    response = designer_client.post(reverse("designer:create"), {"key": "fresh", "name": "Fresh"})
    version = Version.objects.for_tenant(tenant_a).get(definition__key="fresh")
    assert response["Location"] == reverse("designer:editor", args=[version.pk])
    assert version.document["states"] == []


def test_importing_bad_json_shows_the_error_on_the_list_page(designer_client):
    response = designer_client.post(reverse("designer:import"), {"text": '{"key": '})
    assert response.status_code == 400
    assert "JSON" in response.content.decode()


def test_export_downloads_the_canonical_text(designer_client, draft):
    response = designer_client.get(reverse("designer:export", args=[draft.pk]) + "?fmt=yaml")
    assert response["Content-Disposition"] == 'attachment; filename="loan-v1.yaml"'
    assert b"initial: received" in response.content


def test_viewers_cannot_start_instances_from_the_designer(viewer_client, tenant_a, draft):
    from workflow_platform.definitions.services import publish_version

    publish_version(tenant=tenant_a, version_id=draft.pk)
    response = viewer_client.post(
        reverse("designer:start", args=[draft.pk]), {"data": '{"amount": 5}'}
    )
    assert "Your role cannot start instances" in response.content.decode()
    from workflow_platform.engine.models import Instance

    assert not Instance.objects.for_tenant(tenant_a).exists()


def test_an_operator_starts_an_instance_with_typed_data(client, tenant_a, make_member, draft):
    from workflow_platform.definitions.services import publish_version
    from workflow_platform.engine.models import Instance

    publish_version(tenant=tenant_a, version_id=draft.pk)
    client.force_login(make_member(tenant_a, role="operator", username="opal"))
    bad = client.post(reverse("designer:start", args=[draft.pk]), {"data": "[1, 2]"})
    assert bad.status_code == 422
    assert "must be a JSON object" in bad.content.decode()
    response = client.post(
        reverse("designer:start", args=[draft.pk]), {"data": '{"amount": 5}', "business_key": "A-1"}
    )
    assert response.status_code == 200
    instance = Instance.objects.for_tenant(tenant_a).get()
    assert (instance.data, instance.business_key, instance.state) == (
        {"amount": 5},
        "A-1",
        "received",
    )


def test_the_editor_page_is_never_cached(designer_client, draft):
    response = designer_client.get(reverse("designer:editor", args=[draft.pk]))
    assert "no-store" in response["Cache-Control"]


def test_a_human_state_panel_lists_the_fields_of_its_task_form(designer_client, draft):
    document = {**draft.document}
    document["states"][1] = {
        "name": "approved",
        "kind": "human",
        "task": {
            "title": "Check",
            "form": {
                "type": "object",
                "properties": {"ok": {"type": "boolean", "title": "Looks right"}},
                "required": ["ok"],
            },
        },
    }
    response = designer_client.post(
        reverse("designer:panel_state", args=[draft.pk]),
        {"document": json.dumps(document), "original": "approved"},
    )
    preview = response.context["form_preview"]
    assert preview == [{"name": "ok", "title": "Looks right", "type": "boolean", "required": True}]


def test_applying_the_state_panel_keeps_the_routing_it_does_not_change(designer_client, draft):
    document = {**draft.document}
    routed = {
        "name": "approved",
        "kind": "human",
        "task": {
            "title": "Check",
            "assign": {"group": "credit", "strategy": "skill", "skill": "german"},
            "escalate_to": {"user": "ada"},
        },
    }
    document["states"][1] = routed
    url = reverse("designer:panel_state", args=[draft.pk])
    opened = designer_client.post(url, {"document": json.dumps(document), "original": "approved"})
    fields = {name: opened.context["form"][name].value() for name in opened.context["form"].fields}
    assert (fields["strategy"], fields["skill"], fields["escalate_to_user"]) == (
        "skill",
        "german",
        "ada",
    )
    posted = {k: v for k, v in fields.items() if v not in (None, False)}
    posted |= {"document": json.dumps(document), "original": "approved", "apply": "1"}
    applied = designer_client.post(url, posted)
    assert applied.status_code == 200, applied.content
    value = json.loads(applied["HX-Trigger"])["designer:apply"]["value"]["state"]
    assert value["task"] == routed["task"]


def test_publishing_a_draft_changed_since_it_was_checked_is_refused(
    designer_client, tenant_a, draft
):
    checked = draft.checksum
    save_draft(tenant=tenant_a, version_id=draft.pk, document={**draft.document, "name": "Theirs"})
    response = post_json(
        designer_client,
        reverse("designer:publish", args=[draft.pk]),
        {"expected_checksum": checked},
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "draft_changed"
    assert body["theirs"]["document"]["name"] == "Theirs"
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).status == "draft"


def test_publishing_the_draft_as_checked_publishes_it(designer_client, tenant_a, draft):
    response = post_json(
        designer_client,
        reverse("designer:publish", args=[draft.pk]),
        {"expected_checksum": draft.checksum},
    )
    assert response.status_code == 200, response.content
    assert Version.objects.for_tenant(tenant_a).get(pk=draft.pk).status == "published"


def test_a_new_draft_says_it_was_created(designer_client, tenant_a, draft):
    from workflow_platform.definitions.services import publish_version

    publish_version(tenant=tenant_a, version_id=draft.pk)
    response = post_json(designer_client, reverse("designer:new_draft", args=[draft.pk]), {})
    body = response.json()
    assert body["created"] is True
    assert body["version"]["number"] == 2
    assert body["urls"]["save"] == reverse("designer:save", args=[body["version"]["id"]])


def test_a_draft_someone_else_started_is_answered_as_existing_with_its_document(
    designer_client, tenant_a, draft
):
    from workflow_platform.definitions.services import new_draft, publish_version

    publish_version(tenant=tenant_a, version_id=draft.pk)
    theirs = new_draft(tenant=tenant_a, definition_id=draft.definition_id)
    save_draft(tenant=tenant_a, version_id=theirs.pk, document={**draft.document, "name": "Olga's"})
    response = post_json(designer_client, reverse("designer:new_draft", args=[draft.pk]), {})
    body = response.json()
    assert body["created"] is False
    assert body["version"]["id"] == theirs.pk
    assert body["document"]["name"] == "Olga's"
    stored = Version.objects.for_tenant(tenant_a).get(pk=theirs.pk)
    assert body["version"]["checksum"] == stored.checksum


def group(tenant, name):
    with tenant_scope(tenant):
        OperatorGroup.objects.create(tenant=tenant, name=name)


def test_the_group_fields_pick_from_the_tenants_operator_groups(
    designer_client, tenant_a, tenant_b, draft
):
    group(tenant_a, "ops")
    group(tenant_a, "finance")
    group(tenant_b, "globex-secret")
    page = designer_client.get(reverse("designer:editor", args=[draft.pk])).content.decode()
    datalist = page[page.index('<datalist id="operator-groups"') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert '<option value="finance"></option><option value="ops"></option>' in datalist
    assert "globex-secret" not in page

    panel = designer_client.post(
        reverse("designer:panel_state", args=[draft.pk]),
        {"document": json.dumps(draft.document), "original": "approved"},
    ).content.decode()
    for field in ("assign_group", "escalate_to_group"):
        tag = panel[panel.index(f'name="{field}"') - 200 : panel.index(f'name="{field}"') + 200]
        assert 'list="operator-groups"' in tag


def test_a_group_typed_that_the_tenant_lacks_is_the_validators_located_problem(
    designer_client, tenant_a, draft
):
    group(tenant_a, "ops")
    document = {**draft.document}
    document["states"][1] = {"name": "approved", "kind": "human"}
    applied = designer_client.post(
        reverse("designer:panel_state", args=[draft.pk]),
        {
            "document": json.dumps(document),
            "original": "approved",
            "apply": "1",
            "name": "approved",
            "kind": "human",
            "task_title": "Check",
            "assign_group": "opz",
        },
    )
    assert applied.status_code == 200  # the panel takes any name ...
    state = json.loads(applied["HX-Trigger"])["designer:apply"]["value"]["state"]
    assert state["task"]["assign"] == {"group": "opz"}
    document["states"][1] = state
    problems = post_json(
        designer_client, reverse("designer:validate", args=[draft.pk]), {"document": document}
    ).json()["problems"]
    unknown = [p for p in problems if p["code"] == "unknown_group"]  # ... the validator not
    assert [p["path"] for p in unknown] == ["states[1].task.assign.group"]
    assert "opz" in unknown[0]["message"]


def test_importing_an_asl_machine_opens_its_draft_laid_out(designer_client, tenant_a):
    machine = (
        '{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Next": "Done"}, '
        '"Done": {"Type": "Succeed"}}}'
    )
    response = designer_client.post(
        reverse("designer:import"), {"format": "asl", "key": "from-asl", "text": machine}
    )
    version = Version.objects.for_tenant(tenant_a).get(definition__key="from-asl")
    assert response["Location"] == reverse("designer:editor", args=[version.pk])
    assert all(state.get("position") for state in version.document["states"])


def test_an_invalid_asl_machine_shows_where_it_is_wrong(designer_client):
    machine = '{"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Next": "Nowhere"}}}'
    response = designer_client.post(
        reverse("designer:import"), {"format": "asl", "key": "bad-asl", "text": machine}
    )
    assert response.status_code == 400
    assert "States.Hi.Next" in response.content.decode()
    no_key = designer_client.post(reverse("designer:import"), {"format": "asl", "text": machine})
    assert "needs a key" in no_key.content.decode()
