"""A PostgreSQL cluster a test owns, so it may restart it with ``-m immediate``.

The shared server on 127.0.0.1:5432 serves other runs; restarting it would break them.
This one is made with ``initdb`` in a temporary directory (as the ``postgres`` system
user when run as root: PostgreSQL refuses to run as root), listens on a free loopback
port with fsync on, and is removed afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

BIN_DIRS = [Path("/usr/local/bin"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"))]


def _binary(name: str) -> str:
    for directory in BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "pgdata"
        self.log = workdir / "postgres.log"
        self.port = _free_port()
        self.as_user = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = list(args)
        if self.as_user:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def create(self) -> PrivatePostgres:
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            owner = pwd.getpwnam("postgres")
            os.chmod(self.dir.parent, 0o777)  # postgres must write in it
            self.log.touch()
            os.chown(self.log, owner.pw_uid, owner.pw_gid)
        self._run(_binary("initdb"), "-D", str(self.dir), "-U", "postgres", "--auth=trust")
        return self.start()

    def start(self) -> PrivatePostgres:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=on"
        self._run(_binary("pg_ctl"), "-D", str(self.dir), "-l", str(self.log), "-o", options,
                  "-w", "start")  # fmt: skip
        return self

    def stop_immediately(self) -> None:
        """``-m immediate``: no shutdown checkpoint, clients cut; recovery replays the WAL."""
        self._run(_binary("pg_ctl"), "-D", str(self.dir), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop_immediately()
        shutil.rmtree(self.dir.parent, ignore_errors=True)
