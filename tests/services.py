"""Real services for the integration, reliability and security suites.

PostgreSQL, Redis and Celery worker processes.
These suites refuse to run on the embedded default: a missing service is a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def require_real_services():
    """Fail, never skip, when the suite is run without PostgreSQL and Redis."""
    if settings.EMBEDDED or not settings.REDIS_URL:
        pytest.fail(
            "This suite needs DATABASE_URL (PostgreSQL) and REDIS_URL; run it through ./test.",
            pytrace=False,
        )
    redis.Redis.from_url(settings.REDIS_URL).ping()


def database_url() -> str:
    """The URL of the test database pytest-django created, for worker processes."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


class WorkerProcess:
    """A real ``celery worker`` process on the test database and broker."""

    def __init__(
        self, queues: str, concurrency: int, log_dir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = log_dir / f"{self.name}.log"
        self.queues = queues
        self.concurrency = concurrency
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WorkerProcess:
        env = dict(os.environ, DATABASE_URL=database_url(), PYTHONUNBUFFERED="1")
        env.update(self.env)  # may override the database too (a proxy in front of it)
        cmd = [
            sys.executable, "-m", "celery", "-A", "workflow_platform", "worker",
            "-Q", self.queues, "-c", str(self.concurrency), "-n", f"{self.name}@%h",
            "--without-mingle", "--without-gossip", "--loglevel", "INFO",
        ]  # fmt: skip
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            if "ready." in self.log_path.read_text():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.ping()
    return client


@pytest.fixture
def clean_broker(redis_client):
    """Drop messages left on the test broker by an earlier run."""
    redis_client.flushdb()
    yield redis_client


@pytest.fixture
def start_worker(transactional_db, clean_broker, tmp_path):
    """Start real Celery worker processes; all are stopped after the test."""
    workers: list[WorkerProcess] = []

    def start(
        queues: str = "steps,starts,waits,timers",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
    ) -> WorkerProcess:
        """``env`` overrides the worker's environment (e.g. a backend behind a proxy)."""
        worker = WorkerProcess(queues, concurrency, tmp_path, env).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
