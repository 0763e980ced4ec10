"""The locks hold every pin of the requirements files, each with file hashes, and the
bootstrap refuses a stale lock before it installs anything (docs/security.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)


def pins(*names: str) -> set[tuple[str, str]]:
    found = set()
    for name in names:
        for project, version in PIN.findall((ROOT / name).read_text()):
            found.add((re.sub(r"[-_.]+", "-", project).lower(), version))
    return found


@pytest.mark.parametrize(
    ("sources", "lock"),
    [
        (("requirements.txt",), "requirements.lock"),
        (("requirements.txt", "requirements-dev.txt"), "requirements-dev.lock"),
    ],
)
def test_the_lock_holds_every_pin_and_every_release_has_hashes(sources, lock):
    missing = pins(*sources) - pins(lock)
    assert not missing, f"run scripts/lock-requirements.sh: {sorted(missing)}"
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    assert len(entries) == len(pins(lock)) > 50
    for entry in entries:
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.splitlines()[0]


def test_the_bootstrap_refuses_a_stale_lock_before_installing(tmp_path):
    for name in ("requirements.txt", "requirements-dev.txt", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", tmp_path / "scripts" / "bootstrap.sh")
    with open(tmp_path / "requirements.txt", "a") as pinned:
        pinned.write("Some_Package.Name==1.2.3\n")
    run = subprocess.run(
        ["bash", "scripts/bootstrap.sh", "runtime"], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert "some-package-name==1.2.3" in run.stderr
    assert "scripts/lock-requirements.sh" in run.stderr
    assert not (tmp_path / ".venv").exists()  # refused before creating or installing
