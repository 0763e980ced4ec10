"""Imported ASL Tasks call HTTP: an http(s) URL resource POSTs the effective input, and
``arn:aws:states:::http:invoke`` sends its ApiEndpoint, Method, QueryParameters, Headers
and RequestBody (against a real server on 127.0.0.1; the tenant allows loopback)."""

from __future__ import annotations

import json

import pytest

from tests.factories import publish, reload, run_until_idle, start
from workflow_platform.definitions.asl.importer import translate
from workflow_platform.engine import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr(dispatch, "send_now", lambda *args: None)


def test_http_resources_send_what_the_state_says(dependency, private_tenant):
    machine = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task", "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {"ApiEndpoint": dependency.url + "/echo", "Method": "PUT",
                               "QueryParameters": {"order.$": "$.order"},
                               "Headers": {"X-Kind": "asl"},
                               "RequestBody": {"total.$": "$.total"}},
                "ResultSelector": {"method.$": "$.method", "query.$": "$.query",
                                   "kind.$": "$.headers.X-Kind", "body.$": "$.body"},
                "ResultPath": "$.invoked", "Next": "Post",
            },
            "Post": {"Type": "Task", "Resource": dependency.url + "/echo",
                     "InputPath": "$.invoked.query", "ResultSelector": {"body.$": "$.body"},
                     "ResultPath": "$.posted", "End": True},
        },
    }  # fmt: skip
    version = publish(private_tenant, translate(machine, key="asl-http"))
    instance = start(private_tenant, version, {"order": "A-1", "total": 12})
    run_until_idle()
    done = reload(private_tenant, instance)
    assert done.status == "completed", done.last_error
    invoked = done.data["invoked"]
    assert (invoked["method"], invoked["query"], invoked["kind"]) == (
        "PUT",
        {"order": "A-1"},
        "asl",
    )
    assert json.loads(invoked["body"]) == {"total": 12}
    assert json.loads(done.data["posted"]["body"]) == {"order": "A-1"}
