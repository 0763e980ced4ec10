"""The python action type: registered callables, error mapping and the timeout."""

from __future__ import annotations

import threading
import time

import pytest

from workflow_platform.actions.base import (
    ActionResult,
    ActionTimeout,
    NonRetryableActionError,
    RetryableActionError,
    ThrottledError,
)
from workflow_platform.actions.registry import register_callable, run_action

finished = threading.Event()


class CardDeclined(Exception):
    pass


@register_callable("tests.double_total")
def double_total(call):
    return {"total": call.data["total"] * 2, "key": call.idempotency_key}


@register_callable("tests.declined")
def declined(call):
    raise CardDeclined("card 4242 declined")


@register_callable("tests.broken")
def broken(call):
    raise KeyError("missing")


@register_callable("tests.throttled")
def throttled(call):
    raise ThrottledError("slow down", retry_after=12)


@register_callable("tests.pending")
def pending(call):
    return ActionResult(output={"job": "j-1"}, pending=True)


@register_callable("tests.sleepy")
def sleepy(call):
    time.sleep(call.action.params.get("seconds", 1))
    finished.set()
    return "late"


def test_callable_return_value_becomes_the_output(call_of):
    result = run_action(call_of("python", {"callable": "tests.double_total"}, data={"total": 21}))
    assert result.output == {"total": 42, "key": "wi-7-3"}
    assert result.pending is False


def test_callable_may_return_its_own_action_result(call_of):
    result = run_action(call_of("python", {"callable": "tests.pending"}))
    assert result.pending is True
    assert result.output == {"job": "j-1"}


def test_unknown_callable_is_not_retryable(call_of):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call_of("python", {"callable": "tests.nobody_registered_this"}))
    assert error.value.code == "unknown_callable"


def test_missing_callable_name_is_not_retryable(call_of):
    with pytest.raises(NonRetryableActionError):
        run_action(call_of("python", {}))


def test_plain_exception_is_retryable_with_its_class_as_code(call_of):
    with pytest.raises(RetryableActionError) as error:
        run_action(call_of("python", {"callable": "tests.broken"}))
    assert error.value.code == "KeyError"


def test_exception_listed_as_non_retryable_fails_for_good(call_of):
    call = call_of("python", {"callable": "tests.declined"}, non_retryable=("CardDeclined",))
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call)
    assert error.value.code == "CardDeclined"
    assert "card 4242 declined" in str(error.value)


def test_action_errors_of_the_callable_pass_through(call_of):
    with pytest.raises(ThrottledError) as error:
        run_action(call_of("python", {"callable": "tests.throttled"}))
    assert error.value.retry_after == 12


def test_slow_callable_times_out_and_may_still_finish(call_of):
    finished.clear()
    started = time.monotonic()
    with pytest.raises(ActionTimeout) as error:
        run_action(call_of("python", {"callable": "tests.sleepy", "seconds": 0.5}, timeout=0.1))
    assert time.monotonic() - started < 0.4
    assert error.value.retryable is True
    # At-least-once: the worker stopped waiting, the effect happened anyway.
    assert finished.wait(2)


def test_registering_another_function_under_a_taken_name_is_refused():
    with pytest.raises(ValueError):

        @register_callable("tests.double_total")
        def impostor(call):
            return None


def test_builtin_flaky_fails_its_first_attempts_then_succeeds(call_of):
    params = {"callable": "flaky", "failures": 2}
    for attempt in (1, 2):
        with pytest.raises(RetryableActionError):
            run_action(call_of("python", params, attempt=attempt))
    assert run_action(call_of("python", params, attempt=3)).output == {"succeeded_on_attempt": 3}


def test_builtin_fail_is_not_retryable_and_noop_succeeds(call_of):
    with pytest.raises(NonRetryableActionError):
        run_action(call_of("python", {"callable": "fail"}))
    assert run_action(call_of("python", {"callable": "noop"})).output == {}


def test_unknown_action_type_is_not_retryable(call_of):
    with pytest.raises(NonRetryableActionError) as error:
        run_action(call_of("carrier_pigeon", {}))
    assert error.value.code == "unknown_action_type"


@register_callable("tests.tenant_count")
def tenant_count(call):
    from workflow_platform.tenancy.models import Membership

    return Membership.objects.count()  # raises ScopeError outside a tenant scope


def test_a_hung_callable_does_not_delay_the_next_call(call_of):
    with pytest.raises(ActionTimeout):
        run_action(call_of("python", {"callable": "tests.sleepy", "seconds": 0.5}, timeout=0.05))
    started = time.monotonic()
    result = run_action(call_of("python", {"callable": "tests.double_total"}, data={"total": 1}))
    assert result.output["total"] == 2
    assert time.monotonic() - started < 0.2


@pytest.mark.django_db(transaction=True)
def test_callable_runs_in_the_callers_tenant_scope(call_of, tenant_a, make_member):
    from workflow_platform.tenancy.scoping import tenant_scope

    make_member(tenant_a)
    with tenant_scope(tenant_a):
        assert run_action(call_of("python", {"callable": "tests.tenant_count"})).output == 1
    with pytest.raises(RetryableActionError) as error:
        run_action(call_of("python", {"callable": "tests.tenant_count"}))
    assert error.value.code == "ScopeError"


def test_action_timeout_is_capped_by_the_platform_maximum(call_of, settings):
    settings.WORKFLOW_MAX_ACTION_TIMEOUT = 0.1
    started = time.monotonic()
    with pytest.raises(ActionTimeout):
        run_action(call_of("python", {"callable": "tests.sleepy", "seconds": 0.5}, timeout=60))
    assert time.monotonic() - started < 0.4
