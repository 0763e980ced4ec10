"""Browser fixtures for the inbox: a real ASGI server (Daphne) on the test database.

Websockets need ASGI, so these tests do not use pytest-django's WSGI live_server: they
start ``daphne`` in a subprocess against the database pytest-django created (committed
data: transactional_db) with the Redis channel layer, plus a real Celery worker.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.services import (  # noqa: F401 - fixtures used by the inbox browser tests
    ROOT,
    clean_broker,
    database_url,
    redis_client,
    require_real_services,
    start_worker,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaphneServer:
    """``daphne`` serving the platform on the test database; can be stopped and restarted."""

    def __init__(self, log_dir) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "daphne.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> DaphneServer:
        env = dict(os.environ, DATABASE_URL=database_url(), PYTHONUNBUFFERED="1")
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                 "workflow_platform.asgi:application"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"daphne exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"daphne did not answer in {timeout} s:\n{self.log_path.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def daphne(transactional_db, clean_broker, tmp_path):  # noqa: F811
    """The platform served by Daphne (HTTP and websockets)."""
    server = DaphneServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def asgi_server(daphne):
    """The base URL of the Daphne server."""
    return daphne.url


@pytest.fixture
def sign_in(browser, asgi_server):
    """A new browser context signed in as ``username``; returns its page."""
    contexts = []

    def open_as(username: str, password: str = "pw-for-tests"):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{asgi_server}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{asgi_server}/")
        return page

    yield open_as
    for context in contexts:
        context.close()
