"""A real Celery worker process takes work from Redis and writes to PostgreSQL."""

import time

from workflow_platform.observability.models import WorkerHeartbeat
from workflow_platform.observability.tasks import record_heartbeat


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def test_task_sent_through_redis_runs_in_a_worker_process_and_commits(start_worker):
    worker = start_worker(queues="timers")
    record_heartbeat.delay()
    beat = wait_for(
        lambda: WorkerHeartbeat.objects.filter(hostname__startswith=worker.name).first()
    )
    assert beat.pid != 0
    assert worker.proc.pid != beat.pid or worker.proc.poll() is None
