"""``run_platform`` serves this machine only unless told otherwise, and waits for its web
process with one plain HTTP request to loopback (bandit's B104 and B310 are gone, not
silenced)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workflow_platform.runtime.management.commands.run_platform import (
    is_local_or_any,
    is_loopback,
    loopback_for,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("host", "probe", "loopback", "local_or_any"),
    [
        ("127.0.0.1", "127.0.0.1", True, True),
        ("localhost", "localhost", True, True),
        ("::1", "::1", True, True),
        ("0.0.0.0", "127.0.0.1", False, True),
        ("::", "::1", False, True),
        ("[::]", "::1", False, True),
        ("192.0.2.10", "192.0.2.10", False, False),
        ("workflows.example.com", "workflows.example.com", False, False),
    ],
)
def test_where_the_banner_and_the_probe_point(host, probe, loopback, local_or_any):
    assert loopback_for(host) == probe
    assert is_loopback(host) is loopback
    assert is_local_or_any(host) is local_or_any


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as the kernel lists them) with a listening TCP socket on port."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_the_platform_listens_on_loopback_only_by_default(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_LAYER_URL", "HOST"):
        env.pop(key, None)
    env["WORKFLOW_VAR_DIR"] = str(tmp_path / "var")
    log_path = tmp_path / "platform.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_platform", "--no-demo", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while "Workflow Island is running." not in log_path.read_text():
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        banner = log_path.read_text()
        assert f"URL:   http://localhost:{port}/" in banner
        assert "other machines can reach it" not in banner
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize(
    ("host", "warned"),
    [("127.0.0.1", False), ("0.0.0.0", True), ("192.0.2.10", True)],
)
def test_the_banner_says_when_other_machines_can_reach_the_platform(host, warned):
    from io import StringIO

    from workflow_platform.runtime.management.commands.run_platform import Command

    out = StringIO()
    Command(stdout=out)._print_banner(host, 8000)
    assert ("other machines can reach it" in out.getvalue()) is warned
