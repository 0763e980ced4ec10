"""docs/api.md's walkthrough, run as written: from a token to a finished instance.

Each ```bash block of the walkthrough section is run in order by bash (with ``set -a``
so its variables carry to the next block) against a live server on the test database
and a real Celery worker. A block's output is checked against ``EXPECTED``; the test
fails if the page and this list drift apart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import make_member, make_tenant
from tests.services import ROOT, database_url

DOC = ROOT / "docs" / "api.md"
DOC_SERVER = "http://127.0.0.1:8000"


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text()
    section = text.split("## Walkthrough", 1)[1]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)


def _json(output: str) -> dict:
    return json.loads(output)


# (what must hold after the block, whether to retry it while the worker catches up)
EXPECTED = [
    (lambda out, env: env["TOKEN"].startswith("wi_"), False),
    (lambda out, env: env["VERSION_ID"].isdigit(), False),
    (lambda out, env: _json(out)["valid"] is True, False),
    (lambda out, env: _json(out)["status"] == "published", False),
    (lambda out, env: env["INSTANCE_ID"].isdigit(), False),
    (lambda out, env: env["TASK_ID"].isdigit(), True),
    (lambda out, env: _json(out)["status"] == "claimed", False),
    (lambda out, env: _json(out)["status"] == "completed", False),
    (lambda out, env: out.strip() == "completed", True),
    (lambda out, env: _json(out)["results"][-1]["to_state"] == "approved", False),
]


def run_block(block: str, env: dict, tmp_path: Path) -> tuple[str, dict]:
    env_file = tmp_path / "env"
    script = f"set -a -euo pipefail\n{block}\nenv -0 > {env_file}\n"
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"{block}\n--- stderr:\n{done.stderr}"
    pairs = (item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
    return done.stdout, dict(pairs)


@pytest.fixture
def acme(transactional_db):
    tenant = make_tenant("acme", "Acme")
    make_member(tenant, "admin", "ada")
    return tenant


def test_the_curl_walkthrough_goes_from_a_token_to_a_finished_instance(
    acme, live_server, start_worker, tmp_path
):
    blocks = walkthrough_blocks()
    assert len(blocks) == len(EXPECTED), "docs/api.md and EXPECTED list different steps"
    start_worker()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DATABASE_URL": database_url(),
    }
    for number, (block, (holds, retry)) in enumerate(zip(blocks, EXPECTED, strict=True), 1):
        block = block.replace(DOC_SERVER, live_server.url)
        deadline = time.monotonic() + (30 if retry else 0)
        while True:
            output, after = run_block(block, env, tmp_path)
            try:
                ok = holds(output, after)
            except (ValueError, KeyError, IndexError, TypeError):
                ok = False
            if ok or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert ok, f"step {number} did not give what docs/api.md says:\n{block}\n{output}"
        env = after
