"""The platform on its embedded default, for browser tests: SQLite, the in-process
channel layer fed by notification rows, no Redis, no PostgreSQL.

The pytest process itself may well be configured for PostgreSQL and Redis (the browser
suite's run is), and Django settings are read once per process: so this site lives
entirely in subprocesses with their own environment. ``manage.py migrate`` makes its
SQLite file, Daphne serves it, and ``site.py`` (another process) writes to it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.daphne import ROOT, DaphneServer
from tests.browser.daphne import sign_in as sign_in_as

# Whatever points a process at real servers: the embedded default is what is left.
SERVER_SETTINGS = ("DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_URL", "CELERY_BROKER_URL")


class EmbeddedSite:
    def __init__(self, tmp_path) -> None:
        self.env = {k: v for k, v in os.environ.items() if k not in SERVER_SETTINGS}
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.env["WORKFLOW_VAR_DIR"] = str(tmp_path / "var")
        self.server = DaphneServer(tmp_path, self.env)
        self.url = self.server.url

    def run(self, *args: str) -> str:
        """Run ``site.py`` with ``args`` in a process of its own; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.browser.embedded.site", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def start(self) -> EmbeddedSite:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr
        self.run("setup")
        self.server.start()
        return self


@pytest.fixture
def embedded_site(tmp_path):
    site = EmbeddedSite(tmp_path).start()
    yield site
    site.server.stop()


@pytest.fixture
def sign_in_embedded(browser, embedded_site):
    pages = []

    def open_as(username: str):
        pages.append(sign_in_as(browser, embedded_site.url, username))
        return pages[-1]

    yield open_as
    for page in pages:
        page.context.close()
