"""Real PostgreSQL, Redis and Celery workers (fixtures in tests/services.py), plus what the
engine's reliability specs add: a beat process, an idempotent effect server on loopback
and a private Redis server the Redis-restart spec may stop and start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.services import *  # noqa: F403
from tests.services import ROOT, database_url


class EffectServer:
    """Records each ``Idempotency-Key`` once, like a dependency that deduplicates.

    ``calls`` counts every request per key (retries included); ``effects`` holds each
    key's first effect; ``in_flight`` is how many requests are being answered now.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: Counter[str] = Counter()
        self.effects: dict[str, int] = {}
        self.in_flight = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                key = self.headers.get("Idempotency-Key", "")
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with server.lock:
                    server.in_flight += 1
                    server.calls[key] += 1
                try:
                    time.sleep(server.delay)
                    with server.lock:
                        effect = server.effects.setdefault(key, len(server.effects) + 1)
                finally:
                    with server.lock:
                        server.in_flight -= 1
                body = json.dumps({"effect": effect, "key": key}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/effect"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def effect_server():
    server = EffectServer()
    yield server
    server.stop()


class BeatProcess:
    """``celery beat``: the scheduler that runs the engine's sweeps every second or so."""

    def __init__(self, log_dir, env: dict[str, str]) -> None:
        self.log_path = log_dir / f"beat-{time.monotonic_ns()}.log"
        self.schedule = log_dir / f"beat-schedule-{time.monotonic_ns()}"
        self.env = env
        self.proc = None

    def start(self) -> BeatProcess:
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, "-m", "celery", "-A", "workflow_platform", "beat",
               "-s", str(self.schedule), "--loglevel", "INFO"]  # fmt: skip
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture
def start_beat(transactional_db, tmp_path):
    beats: list[BeatProcess] = []

    def start() -> BeatProcess:
        env = dict(os.environ, DATABASE_URL=database_url(), PYTHONUNBUFFERED="1")
        beat = BeatProcess(tmp_path, env).start()
        beats.append(beat)
        return beat

    yield start
    for beat in beats:
        beat.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server this test owns (never the shared one), so it may restart it."""

    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed", pytrace=False)
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("the private redis-server did not start", pytrace=False)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or f"condition not met within {timeout}s")
