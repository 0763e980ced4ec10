"""The notify action's webhook: a signed JSON POST through the guarded HTTP client."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.unit.actions.conftest import make_call
from workflow_platform.actions.base import NonRetryableActionError, RetryableActionError
from workflow_platform.actions.registry import run_action
from workflow_platform.actions.services import set_secret

pytestmark = pytest.mark.django_db

SIGNING_KEY = "whsec_shared-with-the-receiver"


def webhook(tenant, url: str, **params):
    return make_call(
        "notify",
        {"channel": "webhook", "url": url, **params},
        data={"order": "A-9"},
        tenant_id=tenant.pk,
        allow_private_network=tenant.allow_private_network,
    )


def test_webhook_body_is_signed_with_the_secret(dependency, private_tenant):
    set_secret(tenant=private_tenant, name="hook_key", value=SIGNING_KEY)
    call = webhook(
        private_tenant,
        dependency.url + "/echo",
        payload={"order": "{{ data.order }}"},
        signing_secret="hook_key",
        event="order.shipped",
    )
    result = run_action(call)
    [received] = dependency.requests_to("/echo")
    expected = hmac.new(SIGNING_KEY.encode(), received["body"].encode(), hashlib.sha256)
    assert received["headers"]["X-Workflow-Signature"] == "sha256=" + expected.hexdigest()
    assert received["headers"]["Idempotency-Key"] == "wi-7-3"
    body = json.loads(received["body"])
    assert body["event"] == "order.shipped"
    assert body["payload"] == {"order": "A-9"}
    assert result.output == {"channel": "webhook", "status": 200}
    assert SIGNING_KEY not in json.dumps(result.output)


def test_webhook_to_loopback_is_refused_unless_the_tenant_allows_it(dependency, make_tenant):
    tenant = make_tenant()
    with pytest.raises(NonRetryableActionError):
        run_action(webhook(tenant, dependency.url + "/echo"))
    assert dependency.requests == []


def test_webhook_receiver_failing_is_retryable(dependency, private_tenant):
    with pytest.raises(RetryableActionError):
        run_action(webhook(private_tenant, dependency.url + "/status/503"))
