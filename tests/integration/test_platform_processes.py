"""The run command brings up web, worker and scheduler, on Postgres+Redis and embedded."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.services import database_url

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=True, timeout=10)
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    return client


class Platform:
    def __init__(self, env: dict, tmp_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "platform.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_platform", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text()
            text = self.log_path.read_text()
            if "Workflow Island is running." in text:
                try:
                    if httpx.get(f"{self.base}/livez", timeout=2).text == "ok":
                        return text
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
        raise AssertionError(f"platform not up:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def check_platform(platform: Platform) -> None:
    banner = platform.wait_ready()
    assert f"URL:   http://localhost:{platform.port}/" in banner
    for username in ("admin", "ada", "dana", "otto", "olga", "vera", "gus"):
        assert username in banner
    with closing(login(platform.base, "ada", "island-demo")) as ada:
        assert "Acme Logistics" in ada.get("/").text
        assert ada.get("/admin/").status_code == 200
        assert "Workflow Island administration" in ada.get("/admin/").text
    with closing(login(platform.base, "otto", "island-demo")) as otto:
        home = otto.get("/")
        assert "Acme Logistics" in home.text and "/inbox/" in home.text


@pytest.fixture
def platform_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["WORKFLOW_VAR_DIR"] = str(tmp_path / "var")
    return env


def test_platform_runs_on_postgres_and_redis(
    transactional_db, clean_broker, platform_env, tmp_path
):
    platform_env["DATABASE_URL"] = database_url()
    platform = Platform(platform_env, tmp_path)
    try:
        check_platform(platform)
        assert "PostgreSQL + Redis" in platform.log_path.read_text()
    finally:
        platform.stop()
    assert platform.proc.returncode == 0


def test_platform_runs_embedded_and_its_worker_takes_work(platform_env, tmp_path):
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_LAYER_URL"):
        platform_env.pop(key, None)
    platform = Platform(platform_env, tmp_path)
    try:
        check_platform(platform)
        assert "embedded (SQLite, no servers)" in platform.log_path.read_text()
        # The scheduler sends a heartbeat through the SQLite broker; the worker records it.
        code = (
            "from workflow_platform.observability.models import WorkerHeartbeat as H;"
            "print(H.objects.count())"
        )
        deadline = time.monotonic() + 40
        count = 0
        while time.monotonic() < deadline and not count:
            out = subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", code],
                cwd=ROOT, env=platform_env, capture_output=True, text=True,
            )  # fmt: skip
            count = int(out.stdout.strip().splitlines()[-1] or 0)
            time.sleep(1)
        assert count >= 1, platform.log_path.read_text()
        # The demo instances go through the SQLite broker to the worker and finish there.
        code = (
            "from workflow_platform.engine.models import Instance\n"
            "from workflow_platform.tenancy.scoping import all_tenants\n"
            "with all_tenants():\n"
            "    print(Instance.objects.get(business_key='order-1', tenant__slug='acme').status)"
        )
        deadline = time.monotonic() + 60
        status = ""
        while time.monotonic() < deadline and status != "completed":
            out = subprocess.run(
                [sys.executable, "manage.py", "shell", "-c", code],
                cwd=ROOT, env=platform_env, capture_output=True, text=True,
            )  # fmt: skip
            status = (out.stdout.strip().splitlines() or [""])[-1]
            time.sleep(1)
        assert status == "completed", platform.log_path.read_text()
    finally:
        platform.stop()
    assert platform.proc.returncode == 0
