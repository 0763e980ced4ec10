"""Run the whole platform on this machine: web (ASGI), a Celery worker and the scheduler.

It migrates, loads the demo data, starts the three processes, prints the URL and the
logins, and stops them all when interrupted or when any of them exits. A lock file keeps
a second copy from starting beside the first (docs/adr/0001-embedded-transports.md).
"""

from __future__ import annotations

import fcntl
import http.client
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from workflow_platform.celery import QUEUES
from workflow_platform.runtime.demo import DEMO_PASSWORD, DEMO_USERS

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Command(BaseCommand):
    help = "Start the web server, a Celery worker and the scheduler; print URL and logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "127.0.0.1"),
            help="Address to serve on (default 127.0.0.1, this machine only). Another "
            "address, such as 0.0.0.0 for every interface, exposes the demo logins to that "
            "network: only with --no-demo or behind a firewall you trust.",
        )
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=2, help="Worker processes.")
        parser.add_argument("--no-demo", action="store_true", help="Skip loading demo data.")
        parser.add_argument(
            "--worker-log-level",
            default=os.environ.get("WORKER_LOG_LEVEL", "WARNING"),
            help="Log level of the worker and the scheduler (INFO logs every task they run, "
            "several a second even when idle, which would bury the banner).",
        )

    def handle(self, *args, host, port, concurrency, no_demo, worker_log_level, **options):
        worker_log_level = worker_log_level.upper()
        if worker_log_level not in LOG_LEVELS:
            raise CommandError(
                f"--worker-log-level (or WORKER_LOG_LEVEL) must be one of {', '.join(LOG_LEVELS)}; "
                f"got {worker_log_level!r}."
            )
        lock = self._take_lock()
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo:
            call_command("load_demo", verbosity=0)
        python = sys.executable
        quiet = [] if worker_log_level in ("DEBUG", "INFO") else ["--quiet"]
        celery = [python, "-m", "celery", "-A", "workflow_platform", *quiet]
        beat_schedule = str(settings.VAR_DIR / "celerybeat-schedule")
        commands = {
            "web": [
                python,
                "-m",
                "daphne",
                "-b",
                host,
                "-p",
                str(port),
                "workflow_platform.asgi:application",
            ],
            "worker": [
                *celery,
                "worker",
                "-Q",
                ",".join(QUEUES),
                "-c",
                str(concurrency),
                "--loglevel",
                worker_log_level,
                "-n",
                f"worker-{os.getpid()}@%h",
            ],
            "scheduler": [*celery, "beat", "--loglevel", worker_log_level, "-s", beat_schedule],
        }
        self._share_latency_metrics()
        children = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}  # noqa: S603
        self._wait_for_web(host, port, children["web"])
        self._print_banner(host, port)
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping.")
                        exit_code = child.returncode or 1
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop_children(children)
            lock.close()
        if exit_code:
            raise CommandError(f"a platform process exited ({exit_code})")

    def _take_lock(self):
        lock = open(settings.VAR_DIR / "platform.lock", "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CommandError(
                f"The platform is already running from {settings.VAR_DIR}; stop it first."
            ) from exc
        lock.write(str(os.getpid()))
        lock.flush()
        return lock

    def _share_latency_metrics(self) -> None:
        """Web, worker and scheduler count step and action latency in one directory, so
        ``/metrics`` shows the worker's figures (observability/latency.py); emptied at
        each start, as prometheus-client's multiprocess mode asks."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return  # the operator's own directory
        directory = settings.VAR_DIR / "prometheus"
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)

    def _stop_children(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def _wait_for_web(self, host: str, port: int, web: subprocess.Popen) -> None:
        """Print the banner only once the server answers, so the URL works when shown.

        One plain HTTP GET of /livez on the address just bound (loopback when it is every
        interface), through http.client: no URL opener that could follow a redirect or
        read a file: URL.
        """
        probe = loopback_for(host)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and web.poll() is None:
            connection = http.client.HTTPConnection(probe, port, timeout=2)
            try:
                connection.request("GET", "/livez")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
            finally:
                connection.close()

    def _print_banner(self, host: str, port: int) -> None:
        shown = "localhost" if is_local_or_any(host) else host
        url = f"http://{shown}:{port}/"
        mode = "embedded (SQLite, no servers)" if settings.EMBEDDED else "PostgreSQL + Redis"
        lines = [
            "",
            "Workflow Island is running.",
            f"  URL:   {url}",
            f"  Admin: {url}admin/",
            f"  API:   {url}api/docs/",
            f"  Mode:  {mode}",
            f"  Logins (password for all: {DEMO_PASSWORD}):",
        ]
        for user in DEMO_USERS:
            extra = " (platform superuser)" if user.superuser else ""
            lines.append(f"    {user.username:<6} {user.role:<9} tenant {user.tenant}{extra}")
        if not is_loopback(host):
            # The demo logins are printed here and in the README: public knowledge.
            lines.append(
                f"  Listening on {host}: other machines can reach it and sign in with "
                "the logins above."
            )
        lines.append("  Stop with Ctrl-C.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_local_or_any(host: str) -> bool:
    """Loopback, or the unspecified address (every interface: 0.0.0.0 or ::)."""
    if is_loopback(host):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def loopback_for(host: str) -> str:
    """Where this machine reaches a server bound to ``host``: itself for every interface."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host
    if address.is_unspecified:
        return "::1" if address.version == 6 else "127.0.0.1"
    return str(address)
