"""Dependency limits on real Celery workers, counted at the dependency's end.

Three worker processes and beat (whose sweep fires the durable timers that throttled and
short-circuited steps become) run instances of a workflow whose HTTP action names a
dependency; the tenant's ``Dependency`` row holds its limits and the state is in Redis.
The promise is checked where it matters: by the counting server's own clock, not by
what the limiter believes it admitted.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from tests.factories import publish
from workflow_platform.definitions.models import Dependency
from workflow_platform.engine import services
from workflow_platform.engine.limits.selectors import dependency_usage
from workflow_platform.engine.models import HistoryEvent, Timer
from workflow_platform.tenancy.scoping import tenant_scope

from ...reliability.workflows import all_completed, loopback_tenant
from .conftest import wait_for
from .test_shared_limits import busiest_second

WORKERS = 3
# Each worker claims a few instances at a time, so all three share the work.
CLAIM_BATCH = 4
DONE = re.compile(r"Task engine\.\w+\.run_\w+\[[^\]]+\] succeeded in [\d.]+s: (\d+)")


def calling(url: str, key: str) -> dict:
    """new → done: one POST to the ``partner`` dependency, retried as durable timers."""
    return {
        "key": key,
        "initial": "new",
        "states": [{"name": "new"}, {"name": "done", "kind": "final"}],
        "transitions": [{"from": "new", "to": "done", "action": "call"}],
        "actions": {"call": {
            "type": "http", "dependency": "partner", "timeout": "10s",
            "params": {"method": "POST", "url": url, "body": {"i": "{{ data.i }}"}},
            "retry": {"max_attempts": 30, "initial_interval": "200ms", "backoff": 1.5,
                      "max_interval": "1s", "jitter": 0.1},
        }},
    }  # fmt: skip


@pytest.fixture
def workers(start_worker, start_beat, monkeypatch, settings):
    monkeypatch.setenv("WORKFLOW_CLAIM_BATCH", str(CLAIM_BATCH))
    settings.WORKFLOW_CLAIM_BATCH = CLAIM_BATCH  # the nudges sent from this process
    start_beat()  # first: it boots while the workers do, and sweeps from the start
    started = [start_worker(queues="steps,starts,waits,timers") for _ in range(WORKERS)]
    yield started
    for worker in started:  # all at once; start_worker's teardown then finds them gone
        worker.proc.terminate()
    for worker in started:
        worker.proc.wait(timeout=30)


def transitions_made(worker) -> int:
    return sum(int(n) for n in DONE.findall(worker.log_path.read_text()))


def start(tenant, count: int, key: str) -> None:
    items = [{"data": {"i": i}} for i in range(count)]
    services.start_instances(tenant=tenant, definition_key=key, items=items)


def held(tenant, code: str) -> int:
    """Steps a limit parked as a durable timer instead of calling the dependency."""
    events = HistoryEvent.objects.for_tenant(tenant).filter(type="action_failed")
    return events.filter(detail__code=code).count()


def aligned_seconds(times: list[float]) -> Counter[int]:
    """Calls per whole second counted from the first call."""
    return Counter(math.floor(t - times[0]) for t in times)


# The server sees a call a little after the limiter admits it. Its count in a second can
# pass tps + capacity only if one call's delay exceeds another's by a whole token
# interval (1 / TPS = 200 ms here), far beyond a loaded machine's scheduling noise: so
# the check at the server stays strict. The bucket holds ``burst`` tokens, or one for a
# smooth rate; a parked step comes back at its limit's retry time (a short timer wakes
# the sweep then, docs/limits.md), so even with no burst the dependency is called at the
# full rate, not at the beat sweep's once a second.
TPS, COUNT = 5, 40


@pytest.mark.parametrize("burst", [5, 0], ids=["burst-5", "smooth"])
def test_three_workers_together_never_exceed_tps_plus_burst_in_any_second_at_the_dependency(
    workers, counting_server, burst
):
    tenant = loopback_tenant()
    with tenant_scope(tenant):
        Dependency.objects.create(
            tenant=tenant, name="partner", rate_limit_tps=TPS, rate_limit_burst=burst or None
        )
    publish(tenant, calling(counting_server.url, "paced"))
    start(tenant, COUNT, "paced")
    wait_for(lambda: all_completed(tenant, COUNT), timeout=120,
             message="not every paced instance completed")  # fmt: skip

    starts = [request.start for request in counting_server.seen()]
    # One call per instance: a throttled step is parked, it never calls.
    assert len(starts) == COUNT
    assert Counter(r.key for r in counting_server.seen()).most_common(1)[0][1] == 1
    busiest = busiest_second(starts)
    elapsed = starts[-1] - starts[0]
    print(f"burst {burst}: busiest sliding second {busiest}, aligned "
          f"{sorted(aligned_seconds(starts).items())}, {COUNT} calls in {elapsed:.1f}s, "
          f"{held(tenant, 'throttled')} throttled")  # fmt: skip
    capacity = burst or 1
    assert busiest <= TPS + capacity
    assert max(aligned_seconds(starts).values()) <= TPS + capacity
    # The limit was pressed, and it was one limit for all three, not one each.
    assert held(tenant, "throttled") >= COUNT // 2
    assert elapsed >= (COUNT - capacity) / TPS - 1
    # ... and near its rate, not at the timer sweep's tick (once a second: 40 s here).
    assert elapsed <= (COUNT - capacity) / TPS * 2 + 2
    assert all(transitions_made(worker) > 0 for worker in workers), "a worker took no part"


RETRY_AFTER, PACED_TPS, PACED_BURST, PACED_COUNT = 2, 10, 5, 40


def test_after_a_429_the_held_steps_come_back_paced_on_time_and_are_held_at_most_twice(
    workers, counting_server
):
    tenant = loopback_tenant()
    with tenant_scope(tenant):
        Dependency.objects.create(
            tenant=tenant, name="partner", rate_limit_tps=PACED_TPS, rate_limit_burst=PACED_BURST
        )
    publish(tenant, calling(counting_server.url, "told-to-wait"))
    counting_server.throttle(window=0.3, retry_after=RETRY_AFTER)
    start(tenant, PACED_COUNT, "told-to-wait")
    wait_for(lambda: all_completed(tenant, PACED_COUNT), timeout=120,
             message="not every instance completed after the 429s")  # fmt: skip

    calls = counting_server.seen()
    told = [r for r in calls if r.status == 429]
    ok = [r for r in calls if r.status == 200]
    assert told and len(ok) == PACED_COUNT == len({r.key for r in ok})
    # Retry-After honoured by every worker: once the 429s are answered (calls admitted
    # before the first one was reported may still go out), nothing until it ends.
    quiet_from, quiet_to = told[-1].end + 0.05, told[0].end + RETRY_AFTER - 0.05
    assert not [r for r in calls if quiet_from < r.start < quiet_to]
    assert max(aligned_seconds([r.start for r in ok]).values()) <= PACED_TPS + PACED_BURST
    with tenant_scope(tenant):
        paced = HistoryEvent.objects.filter(
            type="action_failed", detail__code__in=["throttled", "http_429"]
        )
        cycles = Counter(paced.values_list("instance_id", flat=True))
        timers = Timer.objects.filter(kind="retry", fired_at__isnull=False)
        late = sorted((t.fired_at - t.due_at).total_seconds() for t in timers)
        dues = Counter(t.due_at.replace(microsecond=t.due_at.microsecond // 10_000)
                       for t in timers)  # fmt: skip
    print(f"{len(told)} answered 429, held per instance {sorted(Counter(cycles.values()).items())},"
          f" timer lateness p50 {late[len(late) // 2]:.3f}s max {late[-1]:.3f}s,"
          f" most retries due in one 10 ms {max(dues.values())}")  # fmt: skip
    # Held once by the rate, at most once more by the 429's deferral; never round and
    # round because everyone came back at one instant.
    assert max(cycles.values()) <= 2
    assert max(dues.values()) <= 3  # one token-interval (100 ms) apart, not one instant
    assert late[int(len(late) * 0.9)] < 0.5  # fired when due, not a sweep later


class BreakerWatch:
    """Samples the breaker through the operations page's selector, noting each change."""

    def __init__(self, tenant) -> None:
        self.tenant = tenant
        self.changes: list[tuple[float, str]] = []  # (time.monotonic(), breaker)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self) -> None:
        while not self.stopped.is_set():
            (usage,) = dependency_usage(self.tenant)
            if not self.changes or self.changes[-1][1] != usage["breaker"]:
                self.changes.append((time.monotonic(), usage["breaker"]))
            time.sleep(0.02)
        connection.close()  # this thread's connection, so the test database can go

    def first(self, breaker: str, after: float = 0.0) -> float | None:
        return next((t for t, b in self.changes if b == breaker and t > after), None)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


THRESHOLD, RECOVERY, INSTANCES, FAILING_FOR = 3, 2.0, 6, 5.0


def test_a_dependency_failing_every_call_opens_its_breaker_is_called_boundedly_and_recovers(
    workers, counting_server
):
    tenant = loopback_tenant()
    with tenant_scope(tenant):
        Dependency.objects.create(
            tenant=tenant, name="partner",
            breaker_failure_threshold=THRESHOLD, breaker_recovery_seconds=RECOVERY,
        )  # fmt: skip
    publish(tenant, calling(counting_server.url, "fragile"))
    counting_server.failing = True
    watch = BreakerWatch(tenant)
    try:
        start(tenant, INSTANCES, "fragile")
        opened = wait_for(lambda: watch.first("open"), timeout=60, message="breaker never opened")
        time.sleep(FAILING_FOR)  # long enough for half-open probes to fail and reopen it
        counting_server.delay = 0.5  # a slow healthy answer: the probe is long enough to see
        counting_server.failing = False
        healed = time.monotonic()
        wait_for(lambda: all_completed(tenant, INSTANCES), timeout=90,
                 message="the instances did not complete after the dependency healed")  # fmt: skip
    finally:
        watch.stop()

    calls = counting_server.seen()
    failed = [r for r in calls if r.status == 500]
    probes = [r for r in failed if r.start > opened]
    print(
        f"{len(failed)} failed calls ({len(probes)} probes) in "
        f"{healed - calls[0].start:.1f}s of failure; breaker {[b for _, b in watch.changes]}"
    )
    # Until it opens each worker has at most one call in flight; after that only probes,
    # one at a time and one per recovery time.
    probe_bound = math.floor((healed - opened) / RECOVERY) + 1
    assert THRESHOLD <= len(failed) - len(probes) <= THRESHOLD + WORKERS - 1
    assert 1 <= len(probes) <= probe_bound
    for earlier, later in itertools.pairwise(probes):
        assert later.start >= earlier.end + RECOVERY - 0.05, "a probe came before recovery"
    assert held(tenant, "circuit_open") >= INSTANCES - 1  # parked, not calling
    # Healed: one half-open probe alone, then everyone, each instance's call once.
    ok = [r for r in calls if r.status == 200]
    first_ok = ok[0]
    assert not [r for r in calls if first_ok.start < r.start < first_ok.end], (
        "another call went out while the half-open probe was in flight"
    )
    (closed_at, _), (_, before) = watch.changes[-1], watch.changes[-2]
    assert closed_at > healed and before == "half_open", "it did not close through half-open"
    assert len(ok) == INSTANCES == len({r.key for r in ok})
    (usage,) = dependency_usage(tenant)
    assert (usage["breaker"], usage["failures"]) == ("closed", 0)
