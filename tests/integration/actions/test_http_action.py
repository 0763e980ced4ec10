"""The http action against a real HTTP server on 127.0.0.1 (the tenant allows loopback)."""

from __future__ import annotations

import json
import time

import pytest

from workflow_platform.actions.base import (
    ActionTimeout,
    NonRetryableActionError,
    RetryableActionError,
    ThrottledError,
)
from workflow_platform.actions.registry import run_action
from workflow_platform.actions.services import set_secret

pytestmark = pytest.mark.django_db

SECRET = "sk_live_never-in-output-77"


def test_request_is_templated_from_data_and_carries_the_idempotency_key(dependency, http_call):
    call = http_call(
        {
            "method": "POST",
            "url": dependency.url + "/echo?order={{ data.id }}",
            "headers": {"X-Customer": "{{ data.customer }}"},
            "query": {"total": "{{ data.total }}"},
            "body": {"order": "{{ data.id }}", "total": "{{ data.total }}", "fixed": True},
        },
        data={"id": "A 1", "customer": "c-9", "total": 120.5},
    )
    echoed = run_action(call).output
    assert echoed["method"] == "POST"
    assert echoed["query"] == {"order": "A 1", "total": "120.5"}
    assert echoed["headers"]["Idempotency-Key"] == "wi-7-3"
    assert echoed["headers"]["X-Customer"] == "c-9"
    assert echoed["headers"]["Content-Type"] == "application/json"
    assert json.loads(echoed["body"]) == {"order": "A 1", "total": 120.5, "fixed": True}


def test_every_attempt_sends_the_same_key_so_the_effect_happens_once(dependency, http_call):
    params = {"method": "POST", "url": dependency.url + "/charge"}
    first = run_action(http_call(params, attempt=1)).output
    second = run_action(http_call(params, attempt=2)).output
    assert first == second == {"payment_id": "pay-1"}
    assert dependency.effects == {"wi-7-3": 2}  # two deliveries, one payment
    assert len(dependency.payments) == 1


def test_text_response_is_the_output(dependency, http_call):
    assert run_action(http_call({"url": dependency.url + "/text"})).output == "plain words"


def test_429_is_throttled_with_retry_after_seconds(dependency, http_call):
    with pytest.raises(ThrottledError) as error:
        run_action(http_call({"url": dependency.url + "/status/429?retry_after=17"}))
    assert error.value.retry_after == 17
    assert error.value.retryable is True
    assert error.value.code == "http_429"


def test_429_with_an_http_date_retry_after(dependency, http_call):
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    url = dependency.url + "/status/429?retry_after=" + when.replace(" ", "%20")
    with pytest.raises(ThrottledError) as error:
        run_action(http_call({"url": url}))
    assert 55 <= error.value.retry_after <= 61


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_server_errors_and_408_are_retryable(dependency, http_call, status):
    with pytest.raises(RetryableActionError) as error:
        run_action(http_call({"url": f"{dependency.url}/status/{status}"}))
    assert not isinstance(error.value, ThrottledError)
    assert error.value.code == f"http_{status}"


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_client_errors_are_not_retryable(dependency, http_call, status):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(http_call({"url": f"{dependency.url}/status/{status}"}))
    assert error.value.code == f"http_{status}"


def test_slow_dependency_times_out_at_the_action_timeout(dependency, http_call):
    started = time.monotonic()
    with pytest.raises(ActionTimeout):
        run_action(http_call({"url": dependency.url + "/slow?seconds=2"}, timeout=0.3))
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_retryable(http_call):
    with pytest.raises(RetryableActionError) as error:
        run_action(http_call({"url": "http://127.0.0.1:9/nothing-listens"}))
    assert error.value.code == "connection_error"


def test_loopback_is_refused_when_the_tenant_does_not_allow_it(dependency, http_call):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(http_call({"url": dependency.url + "/echo"}, allow_private_network=False))
    assert error.value.code == "address_refused"
    assert dependency.requests == []


def test_redirects_are_followed_and_post_becomes_get_after_302(dependency, http_call):
    target = dependency.url + "/echo"
    call = http_call({"method": "POST", "url": f"{dependency.url}/redirect?to={target}"})
    echoed = run_action(call).output
    assert echoed["path"] == "/echo"
    assert echoed["method"] == "GET"
    assert echoed["headers"]["Idempotency-Key"] == "wi-7-3"


def test_bearer_secret_is_sent_but_never_in_the_output(dependency, http_call, private_tenant):
    set_secret(tenant=private_tenant, name="crm_token", value=SECRET)
    call = http_call({"url": dependency.url + "/echo", "auth": {"bearer_secret": "crm_token"}})
    output = run_action(call).output
    [received] = dependency.requests_to("/echo")
    assert received["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert SECRET not in json.dumps(output)  # the echo server sent it back: scrubbed
    assert output["headers"]["Authorization"] == "Bearer [secret]"


def test_header_template_secret_is_resolved_at_call_time(dependency, http_call, private_tenant):
    set_secret(tenant=private_tenant, name="api_key", value=SECRET)
    call = http_call(
        {
            "url": dependency.url + "/echo",
            "headers": {"X-Api-Key": "{{ secrets.api_key }}"},
            "output": "response",
        }
    )
    output = run_action(call).output
    assert dependency.requests_to("/echo")[0]["headers"]["X-Api-Key"] == SECRET
    assert output["status"] == 200
    assert SECRET not in json.dumps(output)


def test_secret_does_not_leak_into_the_error_message(dependency, http_call, private_tenant):
    set_secret(tenant=private_tenant, name="api_key", value=SECRET)
    call = http_call(
        {"url": dependency.url + "/status/500", "headers": {"X-Api-Key": "{{ secrets.api_key }}"}}
    )
    with pytest.raises(RetryableActionError) as error:
        run_action(call)
    assert SECRET not in str(error.value)


def test_missing_secret_fails_for_good_without_calling(dependency, http_call):
    call = http_call({"url": dependency.url + "/echo", "auth": {"bearer_secret": "nope"}})
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call)
    assert error.value.code == "secret_not_found"
    assert dependency.requests == []


def test_pending_when_marks_an_unfinished_job(dependency, http_call):
    call = http_call({"url": dependency.url + "/echo", "pending_when": "result.method == 'GET'"})
    assert run_action(call).pending is True


def test_oversized_response_is_refused_not_buffered(dependency, http_call):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(http_call({"url": dependency.url + "/big?bytes=3000000"}))
    assert error.value.code == "response_too_large"


def test_basic_auth_secret_is_not_echoed_in_any_form(dependency, http_call, private_tenant):
    set_secret(tenant=private_tenant, name="pw", value=SECRET)
    call = http_call(
        {"url": dependency.url + "/echo", "auth": {"basic_secret": "pw", "username": "ann"}}
    )
    output = run_action(call).output
    received = dependency.requests_to("/echo")[0]["headers"]["Authorization"]
    assert received.startswith("Basic ")
    assert received.removeprefix("Basic ") not in json.dumps(output)
    assert SECRET not in json.dumps(output)
