"""manage.py import_asl saves a machine as a draft, or prints where it is wrong."""

import json

import pytest
from django.core.management import CommandError, call_command

from workflow_platform.definitions.models import Version
from workflow_platform.tenancy.scoping import tenant_scope

MACHINE = {"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}


def test_import_asl_saves_a_draft_under_the_key(tenant_a, tmp_path, capsys):
    path = tmp_path / "order-flow.asl.json"
    path.write_text(json.dumps(MACHINE))
    call_command("import_asl", str(path), "--tenant", tenant_a.slug)
    assert "Imported 'order-flow' as draft v1" in capsys.readouterr().out
    with tenant_scope(tenant_a):
        version = Version.objects.get(definition__key="order-flow")
    assert version.document["states"][0]["label"] == "S"


def test_import_asl_prints_every_located_problem(tenant_a, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"StartAt": "Nope", "States": {"S": {"Type": "Pass"}}}))
    with pytest.raises(CommandError) as caught:
        call_command("import_asl", str(path), "--tenant", tenant_a.slug, "--key", "bad")
    assert "StartAt: StartAt names no state" in str(caught.value)
    assert "States.S: a Pass state needs Next or End" in str(caught.value)
