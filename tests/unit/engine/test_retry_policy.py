"""Retries as specified (#18): backoff growth, the ``max_interval`` cap, jitter bounds and
non-retryable codes, over generated policies and then through the engine's own timers.

Each test here fails if one of those rules changes: growth by ``backoff`` per attempt,
never past ``max_interval``, a delay inside ``±jitter`` of it that really is spread, and
no retry for a non-retryable error, a listed code or the last attempt.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import reload, start
from workflow_platform.definitions.machine import RetryPolicy, compile_machine
from workflow_platform.engine import executor, scheduler
from workflow_platform.engine.models import Incident, Timer
from workflow_platform.engine.stepping import retry_delay

from . import callables
from .conftest import linear

policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 50),
    initial_interval=st.floats(0.01, 3600).map(lambda s: timedelta(seconds=s)),
    backoff=st.floats(1.0, 10.0),
    max_interval=st.floats(0.01, 86_400).map(lambda s: timedelta(seconds=s)),
    jitter=st.floats(0.0, 1.0),
    non_retryable=st.lists(st.sampled_from(["declined", "invalid", "gone"]), max_size=2).map(tuple),
)
attempts = st.integers(2, 60)


def machine_with(policy: dict):
    action = {"type": "python", "params": {"callable": "engine_tests.always_retryable"}}
    return compile_machine(linear(1, action={**action, "retry": policy}, key="retries"))


def only_action(machine) -> str:
    (name,) = machine.actions
    return name


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()


@settings(max_examples=300, deadline=None)
@given(policies, attempts)
def test_the_delay_grows_by_backoff_until_the_cap_and_never_passes_it(policy, attempt):
    cap = seconds(policy.max_interval)
    before, after = seconds(policy.delay_before(attempt)), seconds(policy.delay_before(attempt + 1))
    assert after >= before
    assert after <= cap + 1e-6
    if attempt == 2:
        assert math.isclose(
            before, min(seconds(policy.initial_interval), cap), rel_tol=1e-6, abs_tol=2e-6
        )
    if after < cap - 1e-6:  # both uncapped: exactly one factor of backoff apart
        assert math.isclose(after, before * policy.backoff, rel_tol=1e-5, abs_tol=2e-6)
    else:
        assert (
            math.isclose(after, cap, rel_tol=1e-6, abs_tol=2e-6) or before * policy.backoff >= cap
        )


retry_documents = st.fixed_dictionaries(
    {
        "initial_interval": st.floats(0.01, 3600),
        "backoff": st.floats(1.0, 10.0),
        "max_interval": st.floats(0.01, 86_400),
        "jitter": st.floats(0.0, 1.0),
    }
)


@settings(max_examples=300, deadline=None)
@given(retry_documents, attempts)
def test_the_engines_delay_is_the_documented_backoff_within_jitter(retry, attempt):
    """The delay before ``attempt`` is min(initial * backoff^(attempt-2), max_interval),
    moved at most ``jitter`` of itself either way (docs/definition-format.md, retry)."""
    machine = machine_with(retry)
    initial = seconds(timedelta(seconds=retry["initial_interval"]))  # durations hold µs
    documented = min(initial * retry["backoff"] ** (attempt - 2), retry["max_interval"])
    delay = seconds(retry_delay(machine, only_action(machine), attempt))
    low, high = documented * (1 - retry["jitter"]), documented * (1 + retry["jitter"])
    # Two roundings to whole microseconds (the capped delay, the jittered one): 2 µs.
    assert low * (1 - 1e-9) - 2e-6 <= delay <= high * (1 + 1e-9) + 2e-6


@pytest.mark.parametrize("jitter", [0.0, 0.25, 1.0])
def test_sampled_delays_fill_the_jitter_band_and_never_leave_it(jitter):
    machine = machine_with({"initial_interval": "10s", "backoff": 3, "jitter": jitter})
    name = only_action(machine)
    samples = [seconds(retry_delay(machine, name, 3)) for _ in range(400)]
    base = 30.0
    assert all(base * (1 - jitter) - 1e-9 <= s <= base * (1 + jitter) + 1e-9 for s in samples)
    if jitter == 0:
        assert set(samples) == {base}
    else:
        # 400 uniform draws: both outer fifths of the band are hit (chance of a miss ~1e-38).
        band = base * jitter * 2
        assert min(samples) < base - band * 0.3 and max(samples) > base + band * 0.3


@settings(max_examples=300, deadline=None)
@given(
    policies,
    st.sampled_from(["unavailable", "declined", "invalid", "gone", "timeout"]),
    st.booleans(),
    st.integers(1, 60),
)
def test_a_failed_attempt_is_retried_only_when_every_rule_allows(policy, code, retryable, attempt):
    decided = policy.retries(code=code, retryable=retryable, attempt=attempt)
    expected = retryable and code not in policy.non_retryable and attempt < policy.max_attempts
    assert decided is expected


@pytest.fixture(autouse=True)
def clear_calls():
    callables.CALLS.clear()


def test_the_engine_parks_each_retry_on_the_policys_schedule(tenant_a, publish):
    """Five attempts, 10 s growing 3-fold, capped at 60 s, jitter 0.1: each durable retry timer
    lies in its band (10, 30, 60, 60 s ±10 %), then the last failure opens an incident."""
    policy = {"max_attempts": 5, "initial_interval": "10s", "backoff": 3,
              "max_interval": "60s", "jitter": 0.1}  # fmt: skip
    action = {"type": "python", "params": {"callable": "engine_tests.always_retryable"}}
    instance = start(tenant_a, publish(linear(1, action={**action, "retry": policy})))
    delays = []
    for _ in range(4):
        before = timezone.now()
        executor.run_ready()
        timer = Timer.objects.for_tenant(tenant_a).get(
            instance=instance, kind="retry", fired_at=None
        )
        delays.append(seconds(timer.due_at - before))
        scheduler.sweep_due_timers(now=timer.due_at + timedelta(seconds=1))
    executor.run_ready()
    for delay, base in zip(delays, [10, 30, 60, 60], strict=True):
        assert base * 0.9 - 1 <= delay <= base * 1.1 + 1, delays
    assert [attempt for _, attempt in callables.CALLS] == [1, 2, 3, 4, 5]
    failed = reload(tenant_a, instance)
    assert (failed.status, failed.attempt) == ("failed", 5)
    assert Incident.objects.for_tenant(tenant_a).get(instance=instance).code == "unavailable"


def test_a_code_listed_as_non_retryable_fails_on_its_first_attempt(tenant_a, publish):
    policy = {"max_attempts": 5, "initial_interval": "1s", "non_retryable": ["unavailable"]}
    action = {"type": "python", "params": {"callable": "engine_tests.always_retryable"}}
    instance = start(tenant_a, publish(linear(1, action={**action, "retry": policy})))
    executor.run_ready()
    assert reload(tenant_a, instance).status == "failed"
    assert [(f"wi-{instance.pk}-1", 1)] == callables.CALLS
    assert not Timer.objects.for_tenant(tenant_a).filter(instance=instance, kind="retry").exists()
