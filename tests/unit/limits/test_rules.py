"""The shared limits' state machines, driven by a fake clock (no storage, no real time)."""

from __future__ import annotations

import itertools

import pytest

from workflow_platform.engine.limits.policy import DependencyLimits
from workflow_platform.engine.limits.rules import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    LimitState,
    apply_deferral,
    decide_admission,
    defer_calls,
    describe,
    free_slot,
    observe_result,
)

T0 = 1_800_000_000.0  # an arbitrary epoch second: the fake clock's start


def limits(**kw) -> DependencyLimits:
    return DependencyLimits(name="payments", hold_seconds=kw.pop("hold_seconds", 60), **kw)


def admit(state, lim, now, slot="s"):
    return decide_admission(state, lim, now, slot)


class TestTokenBucket:
    def test_full_bucket_admits_the_burst_then_throttles(self):
        lim, state = limits(tps=2, burst=3), LimitState()
        results = [admit(state, lim, T0).admitted for _ in range(4)]
        assert results == [True, True, True, False]

    def test_throttled_call_is_told_when_the_next_token_arrives(self):
        lim, state = limits(tps=2, burst=1), LimitState()
        assert admit(state, lim, T0).admitted
        decision = admit(state, lim, T0)
        assert (decision.admitted, decision.reason) == (False, "throttled")
        assert decision.retry_at == pytest.approx(T0 + 0.5)
        assert admit(state, lim, T0 + 0.5).admitted

    def test_callers_throttled_together_get_retry_times_one_token_apart(self):
        lim, state = limits(tps=10, burst=1), LimitState()
        admit(state, lim, T0)
        retries = [admit(state, lim, T0).retry_at for _ in range(3)]
        assert retries == pytest.approx([T0 + 0.1, T0 + 0.2, T0 + 0.3])

    def test_an_idle_bucket_refills_only_up_to_the_burst(self):
        lim, state = limits(tps=5, burst=2), LimitState()
        admit(state, lim, T0)
        admitted = [admit(state, lim, T0 + 3600).admitted for _ in range(3)]
        assert admitted == [True, True, False]

    def test_any_one_second_window_admits_at_most_tps_plus_burst(self):
        lim, state = limits(tps=10, burst=5), LimitState()
        times = []
        for step in range(3000):  # a caller asking every millisecond for 3 s
            now = T0 + step / 1000
            if admit(state, lim, now).admitted:
                times.append(now)
        # closed windows [t, t + 1]: the strictest way to count one second
        busiest = max(sum(1 for t in times if start <= t <= start + 1) for start in times)
        assert busiest == 15

    def test_without_tps_nothing_is_throttled(self):
        lim, state = limits(failure_threshold=3), LimitState()
        assert all(admit(state, lim, T0).admitted for _ in range(1000))


class TestCircuitBreaker:
    def test_opens_after_threshold_consecutive_failures(self):
        lim, state = limits(failure_threshold=3, recovery_time=10), LimitState()
        for _ in range(2):
            observe_result(state, lim, T0, ok=False)
        assert state.breaker == CLOSED
        observe_result(state, lim, T0, ok=False)
        decision = admit(state, lim, T0 + 1)
        assert state.breaker == OPEN
        assert (decision.admitted, decision.reason) == (False, "circuit_open")
        assert decision.retry_at == pytest.approx(T0 + 10)

    def test_a_success_resets_the_consecutive_failures(self):
        lim, state = limits(failure_threshold=3), LimitState()
        for ok in (False, False, True, False, False):
            observe_result(state, lim, T0, ok=ok)
        assert state.breaker == CLOSED and state.failures == 2

    def test_after_recovery_time_admits_one_probe_only(self):
        lim, state = limits(failure_threshold=1, recovery_time=10), LimitState()
        observe_result(state, lim, T0, ok=False)
        assert not admit(state, lim, T0 + 9.9).admitted
        assert admit(state, lim, T0 + 10).admitted
        assert state.breaker == HALF_OPEN
        second = admit(state, lim, T0 + 10.1)
        assert (second.admitted, second.reason) == (False, "circuit_open")

    def test_half_open_admits_the_configured_number_of_probes(self):
        lim = limits(failure_threshold=1, recovery_time=10, half_open_probes=3)
        state = LimitState()
        observe_result(state, lim, T0, ok=False)
        assert [admit(state, lim, T0 + 10).admitted for _ in range(4)] == [1, 1, 1, 0]

    def test_a_successful_probe_closes_the_breaker(self):
        lim, state = limits(failure_threshold=1, recovery_time=10), LimitState()
        observe_result(state, lim, T0, ok=False)
        admit(state, lim, T0 + 10)
        observe_result(state, lim, T0 + 10.5, ok=True)
        assert state.breaker == CLOSED
        assert all(admit(state, lim, T0 + 11).admitted for _ in range(5))

    def test_a_failed_probe_reopens_for_another_recovery_time(self):
        lim, state = limits(failure_threshold=1, recovery_time=10), LimitState()
        observe_result(state, lim, T0, ok=False)
        admit(state, lim, T0 + 10)
        observe_result(state, lim, T0 + 11, ok=False)
        assert state.breaker == OPEN
        assert admit(state, lim, T0 + 20.9).retry_at == pytest.approx(T0 + 21)
        assert admit(state, lim, T0 + 21).admitted

    def test_a_probe_that_never_reports_is_written_off_after_the_hold_time(self):
        lim = limits(failure_threshold=1, recovery_time=10, hold_seconds=30)
        state = LimitState()
        observe_result(state, lim, T0, ok=False)
        assert admit(state, lim, T0 + 10).admitted  # this worker is then killed
        assert not admit(state, lim, T0 + 39).admitted
        assert admit(state, lim, T0 + 40).admitted

    def test_late_results_while_open_change_nothing(self):
        lim, state = limits(failure_threshold=1, recovery_time=10), LimitState()
        observe_result(state, lim, T0, ok=False)
        observe_result(state, lim, T0 + 1, ok=True)
        observe_result(state, lim, T0 + 2, ok=False)
        assert state.breaker == OPEN and state.open_until == T0 + 10

    def test_an_open_breaker_spends_no_token(self):
        lim, state = limits(tps=1, burst=1, failure_threshold=1, recovery_time=5), LimitState()
        observe_result(state, lim, T0, ok=False)
        admit(state, lim, T0)
        assert admit(state, lim, T0 + 5).admitted  # the probe still finds its token


class TestBulkhead:
    def test_full_until_a_call_releases_its_slot(self):
        lim, state = limits(concurrency=2), LimitState()
        assert admit(state, lim, T0, "a").admitted and admit(state, lim, T0, "b").admitted
        full = admit(state, lim, T0, "c")
        assert (full.admitted, full.reason) == (False, "bulkhead_full")
        assert full.retry_at == pytest.approx(T0 + 1)
        free_slot(state, T0, "a")
        assert admit(state, lim, T0, "c").admitted

    def test_a_killed_workers_slot_expires_after_the_hold_time(self):
        lim, state = limits(concurrency=1, hold_seconds=30), LimitState()
        admit(state, lim, T0, "killed")
        assert not admit(state, lim, T0 + 29, "x").admitted
        assert admit(state, lim, T0 + 30, "x").admitted

    def test_releasing_twice_frees_one_slot(self):
        lim, state = limits(concurrency=3), LimitState()
        for slot in "abc":
            admit(state, lim, T0, slot)
        free_slot(state, T0, "a")
        free_slot(state, T0, "a")
        assert sorted(state.slots) == ["b", "c"]

    def test_release_without_a_name_frees_the_oldest_slot(self):
        lim, state = limits(concurrency=3), LimitState()
        admit(state, lim, T0, "old")
        admit(state, lim, T0 + 1, "new")
        free_slot(state, T0 + 2, None)
        assert list(state.slots) == ["new"]

    def test_a_full_bulkhead_spends_no_token(self):
        lim, state = limits(tps=1, burst=1, concurrency=1), LimitState()
        state.slots["busy"] = T0 + 100
        admit(state, lim, T0, "x")
        free_slot(state, T0, "busy")
        assert admit(state, lim, T0, "x").admitted


class TestDeferral:
    def test_nobody_is_admitted_before_retry_after(self):
        lim, state = limits(tps=100, burst=10), LimitState()
        apply_deferral(state, lim, T0 + 30)
        decision = admit(state, lim, T0 + 29)
        # Back when the empty bucket earns its first token after the deferral.
        assert (decision.admitted, decision.reason) == (False, "throttled")
        assert decision.retry_at == pytest.approx(T0 + 30.01)

    def test_callers_held_by_a_deferral_come_back_one_token_apart_and_each_is_admitted(self):
        lim, state = limits(tps=10, burst=10), LimitState()
        # The call answered 429 is first in line; 40 more are held by the deferral.
        first = defer_calls(state, lim, T0 + 2)
        held = [admit(state, lim, T0 + 1 + i / 1000).retry_at for i in range(40)]
        times = [first, *held]
        assert times[0] == pytest.approx(T0 + 2.1)
        gaps = {round(b - a, 6) for a, b in itertools.pairwise(times)}
        assert gaps == {0.1}
        # Each comes back when its token is there: nobody is held a second time.
        assert all(admit(state, lim, t).admitted for t in times)

    def test_without_a_rate_held_callers_return_when_the_deferral_ends(self):
        lim, state = limits(concurrency=5), LimitState()
        assert defer_calls(state, lim, T0 + 3) == T0 + 3
        assert admit(state, lim, T0 + 1).retry_at == T0 + 3
        assert admit(state, lim, T0 + 3).admitted

    def test_a_later_429_is_paced_behind_the_callers_already_held(self):
        lim, state = limits(tps=4, burst=4), LimitState()
        defer_calls(state, lim, T0 + 1)  # comes back at T0 + 1.25
        held = admit(state, lim, T0 + 0.5).retry_at  # T0 + 1.5
        # A second in-flight call answered 429 with an earlier Retry-After joins the line.
        assert defer_calls(state, lim, T0 + 0.8) == pytest.approx(held + 0.25)

    def test_after_the_deferral_the_bucket_starts_empty_not_with_a_burst(self):
        lim, state = limits(tps=10, burst=10), LimitState()
        apply_deferral(state, lim, T0 + 30)
        assert not admit(state, lim, T0 + 30).admitted
        assert admit(state, lim, T0 + 30.1).admitted

    def test_an_earlier_retry_after_does_not_shorten_the_deferral(self):
        lim, state = limits(tps=10), LimitState()
        apply_deferral(state, lim, T0 + 30)
        apply_deferral(state, lim, T0 + 5)
        assert state.deferred_until == T0 + 30


def test_describe_shows_tokens_breaker_and_in_flight():
    lim = limits(tps=4, burst=4, failure_threshold=1, recovery_time=10, concurrency=5)
    state = LimitState()
    admit(state, lim, T0, "a")
    admit(state, lim, T0, "b")
    observe_result(state, lim, T0, ok=False)
    view = describe(state, lim, T0 + 1)
    assert view["tokens"] == 4.0  # 2 used, 4 refilled in 1 s, capped at the burst
    assert (view["breaker"], view["open_until"]) == ("open", T0 + 10)
    assert view["in_flight"] == 2
    assert describe(state, lim, T0 + 10)["breaker"] == "half_open"
