"""The rules of one dependency's shared limits, as pure functions over its state.

One ``LimitState`` holds everything every worker must agree on for one (tenant,
dependency): the token bucket, the circuit breaker, the bulkhead's slots and a
Retry-After deferral. The functions here decide and mutate it given a clock reading
(epoch seconds); they never read a clock themselves, so unit tests drive them with a
fake one. The database backend runs exactly these functions under a row lock; the Redis
backend runs the same rules in one Lua script (redis_backend.py), and an integration
test replays one scenario through both to keep them equal.

Order of checks in an admission, and why: a Retry-After deferral first (the dependency
said so), then the breaker (no point spending a token on a dead dependency), then the
bulkhead, then the bucket; a token or a probe is only taken when the call is admitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy import BULKHEAD_FULL, CIRCUIT_OPEN, THROTTLED, DependencyLimits

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

# A full bulkhead frees a slot when any call completes, so look again soon rather than
# at the earliest slot expiry (minutes away when calls are healthy).
BULKHEAD_RETRY_SECONDS = 1.0
# Epoch seconds as doubles carry ~0.2 us of rounding and the Redis backend stores times to
# the microsecond, so a caller back exactly when its token is due can find 0.99999 of
# one; a few microseconds' worth of tokens of slack keeps the rate exact.
CLOCK_SLACK_SECONDS = 4e-6


@dataclass
class LimitState:
    tokens: float | None = None  # None: never used, the bucket is full
    refilled_at: float = 0.0
    breaker: str = CLOSED
    failures: int = 0  # consecutive failures while closed
    open_until: float = 0.0
    probes: int = 0  # probes admitted in the current half-open round
    probe_deadline: float = 0.0  # after this an unreported probe counts as lost
    deferred_until: float = 0.0
    next_retry_at: float = 0.0  # throttled callers are spread out from here
    slots: dict[str, float] = field(default_factory=dict)  # slot -> expiry


@dataclass(frozen=True)
class Decision:
    admitted: bool
    retry_at: float | None = None
    reason: str = ""


def refill(state: LimitState, limits: DependencyLimits, now: float) -> None:
    """Add the tokens earned since the last refill, never above capacity."""
    if limits.tps:
        _refill(state, limits.tps, limits.capacity, now)


def _refill(state: LimitState, tps: float, capacity: int, now: float) -> float:
    """:func:`refill` for a dependency with a rate; the tokens in the bucket now."""
    tokens = state.tokens
    if tokens is None:
        tokens, state.refilled_at = float(capacity), now
    if now > state.refilled_at:
        tokens += (now - state.refilled_at) * tps
        state.refilled_at = now
    state.tokens = tokens = min(tokens, float(capacity))
    return tokens


def drop_expired_slots(state: LimitState, now: float) -> None:
    state.slots = {slot: expiry for slot, expiry in state.slots.items() if expiry > now}


def decide_admission(
    state: LimitState, limits: DependencyLimits, now: float, slot: str
) -> Decision:
    """Admit one call now or say when to come back; takes a token/slot/probe if admitted."""
    if state.deferred_until > now:
        return Decision(
            False, reserve_retry(state, limits, _first_token_after(state, limits)), THROTTLED
        )

    probe = False
    if limits.failure_threshold:
        if state.breaker == OPEN:
            if now < state.open_until:
                return Decision(False, state.open_until, CIRCUIT_OPEN)
            state.breaker, state.probes, state.probe_deadline = HALF_OPEN, 0, 0.0
        if state.breaker == HALF_OPEN:
            if now >= state.probe_deadline:
                state.probes = 0  # probes that never reported back are written off
            if state.probes >= limits.half_open_probes:
                retry = min(state.probe_deadline, now + limits.recovery_time)
                return Decision(False, retry, CIRCUIT_OPEN)
            probe = True

    if limits.concurrency:
        drop_expired_slots(state, now)
        if len(state.slots) >= limits.concurrency:
            retry = min(min(state.slots.values()), now + BULKHEAD_RETRY_SECONDS)
            return Decision(False, retry, BULKHEAD_FULL)

    if limits.tps:
        tokens = _refill(state, limits.tps, limits.capacity, now)
        if tokens < 1.0 - CLOCK_SLACK_SECONDS * limits.tps:
            retry = reserve_retry(state, limits, now + (1.0 - tokens) / limits.tps)
            return Decision(False, retry, THROTTLED)
        state.tokens = tokens - 1.0

    hold = limits.hold_seconds
    assert hold is not None  # DependencyLimits.__post_init__ fills in the default
    if limits.concurrency:
        state.slots[slot] = now + hold
    if probe:
        state.probes += 1
        state.probe_deadline = now + hold
    return Decision(True)


def free_slot(state: LimitState, now: float, slot: str | None) -> None:
    """Give back a bulkhead slot: the named one, else the one expiring first."""
    drop_expired_slots(state, now)
    if slot and slot in state.slots:
        del state.slots[slot]
    elif state.slots and not slot:
        del state.slots[min(state.slots, key=state.slots.__getitem__)]


def observe_result(state: LimitState, limits: DependencyLimits, now: float, ok: bool) -> None:
    """Feed one call's outcome to the breaker."""
    if not limits.failure_threshold:
        return
    if state.breaker == CLOSED:
        if ok:
            state.failures = 0
            return
        state.failures += 1
        if state.failures >= limits.failure_threshold:
            state.breaker, state.open_until = OPEN, now + limits.recovery_time
    elif state.breaker == HALF_OPEN:
        if ok:
            state.breaker, state.failures, state.probes = CLOSED, 0, 0
        else:
            state.breaker, state.open_until, state.probes = OPEN, now + limits.recovery_time, 0
    # OPEN: late results of calls admitted before it opened change nothing.


def reserve_retry(state: LimitState, limits: DependencyLimits, earliest: float) -> float:
    """When one more held caller comes back, at ``earliest`` or later.

    Everyone held at once would come back at the same instant and only one would win
    (the rest held again, round after round); with a rate, callers get times one
    token-interval apart instead, in the order they were held. Without a rate there is
    nothing to pace by: all come back at ``earliest``.
    """
    if not limits.tps:
        return earliest
    retry = max(earliest, state.next_retry_at)
    state.next_retry_at = retry + 1.0 / limits.tps
    return retry


def _first_token_after(state: LimitState, limits: DependencyLimits) -> float:
    # The bucket is empty when a deferral ends (apply_deferral): its first token comes a
    # token-interval later.
    return state.deferred_until + (1.0 / limits.tps if limits.tps else 0.0)


def apply_deferral(state: LimitState, limits: DependencyLimits, until: float) -> None:
    """Nobody calls before ``until``; then the bucket starts empty, not with a burst."""
    if until <= state.deferred_until:
        return
    state.deferred_until = until
    if limits.tps:
        state.tokens, state.refilled_at = 0.0, until


def defer_calls(state: LimitState, limits: DependencyLimits, until: float) -> float:
    """:func:`apply_deferral` for the caller the dependency answered 429; returns when
    that caller comes back, paced with everyone else held by the deferral."""
    apply_deferral(state, limits, until)
    return reserve_retry(state, limits, _first_token_after(state, limits))


def describe(state: LimitState, limits: DependencyLimits, now: float) -> dict:
    """What admin pages show; epoch seconds (the public snapshot turns them into datetimes)."""
    drop_expired_slots(state, now)
    tokens = _refill(state, limits.tps, limits.capacity, now) if limits.tps else None
    breaker = state.breaker
    if breaker == OPEN and now >= state.open_until:
        breaker = HALF_OPEN  # the next call will be a probe
    return {
        "dependency": limits.name,
        "tps": limits.tps,
        "burst": limits.capacity if limits.tps else None,
        "tokens": round(tokens, 3) if tokens is not None else None,
        "breaker": breaker if limits.failure_threshold else None,
        "failures": state.failures,
        "failure_threshold": limits.failure_threshold,
        "open_until": state.open_until if breaker == OPEN else None,
        "probes_in_flight": state.probes if breaker == HALF_OPEN else 0,
        "in_flight": len(state.slots),
        "concurrency": limits.concurrency,
        "deferred_until": state.deferred_until if state.deferred_until > now else None,
    }
