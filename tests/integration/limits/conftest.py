"""Three separate worker-like OS processes on the real PostgreSQL and Redis.

One pool of ``PROCESSES`` hammer processes per backend lives for the session (Django
starts once per process, not once per test); each test sends it a scenario. The specs
on real Celery workers (test_limits_on_workers.py) use ``start_worker`` and
``start_beat`` instead, and ``counting_server``: a dependency on loopback that notes
the time of every request by its own clock and can be told to fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis
from django.conf import settings

from tests.reliability.conftest import start_beat, wait_for  # noqa: F401
from tests.services import ROOT, database_url
from workflow_platform.engine.limits import backend

PROCESSES = 3


class HammerPool:
    def __init__(self, backend_name: str, env: dict | None = None) -> None:
        env = dict(
            env or dict(os.environ, DATABASE_URL=database_url()),
            WORKFLOW_LIMITS_BACKEND=backend_name,
            PYTHONUNBUFFERED="1",
        )
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.integration.limits.hammer"],
                cwd=ROOT,
                env=env,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(PROCESSES)
        ]

    def _send(self, proc, line: str) -> None:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    def _read(self, proc) -> str:
        line = proc.stdout.readline().strip()
        if not line:
            proc.kill()
            raise AssertionError(f"hammer process died:\n{proc.stderr.read()}")
        return line

    def run(self, scenario: str, config: dict) -> list[dict]:
        """Run ``scenario`` in every process at once; return each process's report."""
        for proc in self.procs:
            self._send(proc, json.dumps({"scenario": scenario, "config": config}))
        for proc in self.procs:
            assert self._read(proc) == "ready"
        for proc in self.procs:  # released as close together as the OS allows
            self._send(proc, "go")
        return [json.loads(self._read(proc)) for proc in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.stdin.close()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture(scope="session")
def hammer_pools(django_db_setup, django_db_blocker):
    # Both pools start at once: the second one boots while the first one's tests run.
    pools = {name: HammerPool(name) for name in ("redis", "database")}
    yield pools
    for pool in pools.values():
        pool.stop()


@pytest.fixture(params=["redis", "database"])
def limits_backend(request, settings):
    """Run the test once with the state in Redis and once in PostgreSQL."""
    settings.WORKFLOW_LIMITS_BACKEND = request.param
    assert backend().name == request.param
    return request.param


@pytest.fixture
def run_workers(limits_backend, hammer_pools, transactional_db):
    """``run(scenario, config)`` in PROCESSES separate processes on this backend."""
    return hammer_pools[limits_backend].run


@pytest.fixture
def dependency_name():
    name = f"dep-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"*:{name}}}*"):
        client.delete(key)


@dataclass
class Request:
    key: str  # the Idempotency-Key the engine sent
    start: float  # time.monotonic() when the server began to answer
    end: float = 0.0
    status: int = 0


class CountingServer:
    """A dependency that counts by its own clock: every request, when, and its answer.

    ``failing`` makes it answer 500 (a retryable error the breaker counts); ``delay`` is
    how long each answer takes; ``throttle(window, retry_after)`` makes it answer 429
    with that Retry-After to every call in the first ``window`` seconds after the first
    call. ``requests`` is the ground truth the specs check limits against, independent
    of what the limiter believes.
    """

    def __init__(self) -> None:
        self.failing = False
        self.delay = 0.0
        self.throttle_window, self.retry_after = 0.0, 0
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                request = Request(self.headers.get("Idempotency-Key", ""), time.monotonic())
                with server.lock:
                    server.requests.append(request)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = 500 if server.failing else 200
                if request.start < server.requests[0].start + server.throttle_window:
                    status = 429
                time.sleep(server.delay)
                body = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", str(server.retry_after))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                request.status, request.end = status, time.monotonic()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/call"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def throttle(self, window: float, retry_after: int) -> None:
        self.throttle_window, self.retry_after = window, retry_after

    def seen(self) -> list[Request]:
        with self.lock:
            return sorted(self.requests, key=lambda r: r.start)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def counting_server():
    server = CountingServer()
    yield server
    server.stop()
