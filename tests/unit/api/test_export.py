"""Exporting a version: JSON or YAML, and any other format a 400 that names the two, in
the API and in the designer's download link alike (it used to answer JSON to ?fmt=xml)."""

from __future__ import annotations

import json

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from tests import factories
from workflow_platform.definitions.services import create_definition

from .conftest import APPROVAL


@pytest.fixture
def version(tenant_a):
    document = {"format": "workflow-island/v1", **APPROVAL}
    return create_definition(tenant=tenant_a, key="approval", name="Approval", document=document)


@pytest.fixture
def viewer(tenant_a):
    return factories.make_member(tenant_a, "viewer", "export-viewer", password=None)


def api_export(client, version, **params):
    return client.get(f"/api/versions/{version.pk}/export/", params)


@pytest.mark.parametrize("params", [{"fmt": "xml"}, {"format": "xml"}, {"format": ""}])
def test_an_unknown_format_is_a_400_problem_naming_the_accepted_ones(
    tenant_a, version, viewer, params
):
    answer = api_export(factories.api_client(tenant_a, viewer), version, **params)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "unknown_format"
    assert "json" in problem["detail"] and "yaml" in problem["detail"]
    assert "Content-Disposition" not in answer


def test_format_and_fmt_both_choose_and_must_agree(tenant_a, version, viewer):
    client = factories.api_client(tenant_a, viewer)
    as_yaml = api_export(client, version, fmt="yaml")
    assert as_yaml["Content-Type"] == "application/yaml"
    assert yaml.safe_load(as_yaml.content)["key"] == "approval"
    assert api_export(client, version, format="json")["Content-Type"] == "application/json"
    by_default = api_export(client, version)
    assert json.loads(by_default.content)["key"] == "approval"
    assert by_default["Content-Disposition"] == 'attachment; filename="approval-v1.json"'
    both = api_export(client, version, format="json", fmt="yaml")
    assert both.status_code == 400
    assert both.json()["code"] == "unknown_format"
    assert api_export(client, version, format="yaml", fmt="yaml").status_code == 200


def test_the_designers_export_refuses_an_unknown_format_too(version, viewer):
    page = Client()
    page.force_login(viewer)
    url = reverse("designer:export", args=[version.pk])
    answer = page.get(url, {"fmt": "xml"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "unknown_format"
    assert "json, yaml" in body["message"]
    assert "Content-Disposition" not in answer
    assert page.get(url)["Content-Disposition"] == 'attachment; filename="approval-v1.json"'
    assert page.get(url, {"fmt": "yaml"})["Content-Type"] == "application/yaml"


def test_another_tenants_version_is_404_whatever_the_format(tenant_a, tenant_b, version):
    intruder = factories.api_client(tenant_b, factories.make_member(tenant_b, "admin"))
    assert api_export(intruder, version, fmt="xml").status_code == 404
    assert api_export(intruder, version).status_code == 404
