"""Real PostgreSQL, Redis, Celery workers and beat, plus a dependency on loopback.

The dependency server deduplicates effects on the ``Idempotency-Key`` the engine sends
(like the reliability suite's effect server), remembers request bodies (where a wait's
completion token travels), answers a job-status endpoint that is "running" a set number
of times before "done", and measures how many requests it served at once.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.reliability.conftest import start_beat, wait_for  # noqa: F401
from tests.services import *  # noqa: F403


class DependencyServer:
    def __init__(self) -> None:
        self.delay = 0.0
        self.calls: Counter[str] = Counter()
        self.effects: dict[str, int] = {}
        self.bodies: list[dict] = []
        self.running_answers = 0  # how many job-status polls answer "running" first
        self.polls = 0
        self.poll_delay = 0.0  # how long a job-status poll takes to answer
        self.polling = 0  # job-status polls being answered now
        self.in_flight = 0
        self.busy: set[str] = set()  # keys being answered now
        self.peak = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/job"):
                    with server.lock:
                        server.polling += 1
                    try:
                        time.sleep(server.poll_delay)
                    finally:
                        with server.lock:
                            server.polling -= 1
                    return self._answer(server.job_status())
                key = self.headers.get("Idempotency-Key", "")
                with server.lock:
                    server.in_flight += 1
                    server.peak = max(server.peak, server.in_flight)
                    server.calls[key] += 1
                    server.busy.add(key)
                    with contextlib.suppress(ValueError):
                        server.bodies.append(json.loads(raw or b"{}"))
                try:
                    time.sleep(server.delay)
                    with server.lock:
                        effect = server.effects.setdefault(key, len(server.effects) + 1)
                finally:
                    with server.lock:
                        server.in_flight -= 1
                        server.busy.discard(key)
                self._answer({"effect": effect, "key": key})

            def _answer(self, payload):
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def job_status(self) -> dict:
        with self.lock:
            self.polls += 1
            if self.polls <= self.running_answers:
                return {"state": "running"}
            return {"state": "done", "report": "r-1"}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def dependency():
    server = DependencyServer()
    yield server
    server.stop()
