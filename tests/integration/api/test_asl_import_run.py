"""An ASL machine imported through the API runs on real Celery workers to the output
the States Language defines for its input (https://states-language.net/spec.html)."""

from __future__ import annotations

import json

from tests.factories import start_via_api
from tests.reliability.conftest import wait_for
from tests.unit.api.conftest import api_as, fast_passwords  # noqa: F401 - fixtures
from workflow_platform.engine.models import Instance

# Written for this test (no third-party material). Every state kind the import maps,
# with InputPath, Parameters (intrinsics), ResultPath, OutputPath, Catch and a Choice.
MACHINE = {
    "Comment": "Order check, every mapped construct",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Pass",
            "Parameters": {
                "label.$": "States.Format('Order {} for {}', $.order.id, $.order.customer)",
                "total.$": "States.MathAdd($.order.net, $.order.tax)",
                "tags.$": "States.Array('new', $.order.customer)",
                "raw.$": "States.JsonToString($.order.lines)",
            },
            "ResultPath": "$.summary",
            "Next": "Charge",
        },
        "Charge": {
            "Type": "Task",
            "Resource": "fail",
            "TimeoutSeconds": 10,
            "Catch": [
                {"ErrorEquals": ["States.Timeout"], "Next": "Rejected"},
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.charge_error",
                    "Next": "Big order?",
                },
            ],
            "Next": "Rejected",
        },
        "Big order?": {
            "Type": "Choice",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.summary.total", "NumericGreaterThanEquals": 100},
                        {"Variable": "$.order.customer", "StringMatches": "A*"},
                    ],
                    "Next": "Hold",
                },
            ],
            "Default": "Rejected",
        },
        "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Note"},
        "Note": {
            "Type": "Task",
            "Resource": "noop",
            "InputPath": "$.summary",
            "ResultPath": None,
            "OutputPath": "$.summary",
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Rejected": {"Type": "Fail", "Error": "Rejected", "Cause": "Not a big order."},
    },
}
INPUT = {"order": {"id": 7, "customer": "Ada", "net": 90, "tax": 18,
                   "lines": [{"sku": "x"}, 2]}}  # fmt: skip
# What the specification gives for INPUT: the Pass state's Parameters at $.summary,
# the caught error beside it, the Choice holds, the Wait keeps the data, and the last
# Task (ResultPath null) passes its input on, filtered by OutputPath to the summary.
OUTPUT = {
    "label": "Order 7 for Ada",
    "total": 108,
    "tags": ["new", "Ada"],
    "raw": '[{"sku":"x"},2]',
}


def test_an_imported_asl_machine_runs_on_workers_to_the_specified_output(
    tenant_a,
    api_as,  # noqa: F811
    start_worker,
):
    client = api_as(tenant_a, "designer")
    imported = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "order-check", "text": json.dumps(MACHINE)},
        format="json",
    )
    assert imported.status_code == 201, imported.json()
    published = client.post(f"/api/versions/{imported.json()['id']}/publish/")
    assert published.status_code == 200, published.json()
    start_worker()
    started = start_via_api(api_as(tenant_a, "operator"), "order-check", INPUT).json()
    done = wait_for(
        lambda: (
            Instance.objects.for_tenant(tenant_a)
            .filter(pk=started["id"], status__in=["completed", "failed"])
            .first()
        ),
        timeout=60,
    )
    assert (done.status, done.state) == ("completed", "Done"), done.last_error
    assert done.data == OUTPUT

    small = start_via_api(
        api_as(tenant_a, "operator"), "order-check", {**INPUT, "order": {**INPUT["order"],
                                                                         "net": 1}}
    ).json()  # fmt: skip
    failed = wait_for(
        lambda: (
            Instance.objects.for_tenant(tenant_a).filter(pk=small["id"], status="failed").first()
        ),
        timeout=60,
    )
    assert (failed.state, failed.last_error) == ("Rejected", "Rejected: Not a big order.")


FANNING = {
    "Comment": "Map and Parallel onto child instances",
    "StartAt": "Each line",
    "States": {
        "Each line": {
            "Type": "Map",
            "ItemsPath": "$.lines",
            "MaxConcurrency": 2,
            "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku", "at.$": "$$.Map.Item.Index"},
            "ItemProcessor": {
                "StartAt": "Label",
                "States": {
                    "Label": {
                        "Type": "Pass",
                        "Parameters": {"label.$": "States.Format('{}#{}', $.sku, $.at)"},
                        "OutputPath": "$.label",
                        "End": True,
                    }
                },
            },
            "ResultPath": "$.labels",
            "Next": "Checks",
        },
        "Checks": {
            "Type": "Parallel",
            "InputPath": "$.labels",
            "Branches": [
                {"StartAt": "Count", "States": {"Count": {
                    "Type": "Pass", "Parameters": {"n.$": "States.ArrayLength($)"},
                    "OutputPath": "$.n", "End": True}}},
                {"StartAt": "First", "States": {"First": {
                    "Type": "Pass", "InputPath": "$[0]", "End": True}}},
            ],
            "ResultSelector": {"count.$": "$[0]", "first.$": "$[1]"},
            "ResultPath": "$.summary",
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}  # fmt: skip


def test_map_and_parallel_run_as_child_instances_on_workers(
    tenant_a,
    api_as,  # noqa: F811
    start_worker,
):
    client = api_as(tenant_a, "designer")
    imported = client.post(
        "/api/definitions/import/",
        {"format": "asl", "key": "fanning", "text": json.dumps(FANNING)},
        format="json",
    )
    assert imported.status_code == 201, imported.json()
    assert client.post(f"/api/versions/{imported.json()['id']}/publish/").status_code == 200
    start_worker(concurrency=2)
    data = {"lines": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]}
    started = start_via_api(api_as(tenant_a, "operator"), "fanning", data).json()
    done = wait_for(
        lambda: (
            Instance.objects.for_tenant(tenant_a)
            .filter(pk=started["id"], status__in=["completed", "failed"])
            .first()
        ),
        timeout=90,
    )
    assert done.status == "completed", done.last_error
    assert done.data == {
        **data,
        "labels": ["a#0", "b#1", "c#2"],
        "summary": {"count": 3, "first": "a#0"},
    }
