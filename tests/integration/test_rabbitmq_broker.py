"""RabbitMQ as the broker: the platform's quorum queues, publisher confirms, and the
engine's crash tests (kill -9 mid-action, a message delivered twice) on it.

Each test gets a vhost of its own on the RabbitMQ at 127.0.0.1:5672 (made and deleted with
``rabbitmqctl``, which scripts/ensure-services.sh installs and starts), so parallel runs
share no queue and nothing is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.services import ROOT

QUEUES = {"steps", "starts", "waits", "timers"}


def rabbitmqctl(*args: str) -> str:
    binary = shutil.which("rabbitmqctl")
    if binary is None:
        pytest.fail("rabbitmqctl is not installed (scripts/ensure-services.sh)", pytrace=False)
    done = subprocess.run(
        [binary, "-q", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode:
        pytest.fail(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}", pytrace=False)
    return done.stdout


@pytest.fixture
def vhost():
    name = f"wi_test_{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield name
    rabbitmqctl("delete_vhost", name)


def broker_url(vhost: str) -> str:
    return f"amqp://guest:guest@127.0.0.1:5672/{vhost}"


def queues_of(vhost: str) -> dict[str, dict]:
    out = rabbitmqctl(
        "list_queues", "-p", vhost, "--formatter", "json", "name", "type", "arguments"
    )
    return {row["name"]: row for row in json.loads(out or "[]")}


def platform_env(vhost: str, **more: str) -> dict[str, str]:
    return dict(os.environ, CELERY_BROKER_URL=broker_url(vhost), PYTHONUNBUFFERED="1", **more)


def test_the_platform_declares_its_queues_as_quorum_queues_with_confirms(vhost):
    script = (
        "import json, django; django.setup()\n"
        "from workflow_platform.celery import app\n"
        "with app.connection_for_write() as conn:\n"
        "    for queue in app.amqp.queues.values():\n"
        "        queue(conn.default_channel).declare()\n"
        "print(json.dumps({'options': app.conf.broker_transport_options,\n"
        "                  'acks_late': app.conf.task_acks_late,\n"
        "                  'time_limit': app.conf.task_time_limit}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=platform_env(vhost),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    conf = json.loads(done.stdout.strip().splitlines()[-1])
    assert conf["options"]["confirm_publish"] is True
    assert conf["acks_late"] is True
    queues = queues_of(vhost)
    assert set(queues) == QUEUES
    for row in queues.values():
        assert row["type"] == "quorum"
        # rabbitmqctl's JSON gives each argument as [name, type, value].
        arguments = {item[0]: item[-1] for item in row["arguments"]}
        # Longer than the hard time limit: a late-acked task holds its message while it runs.
        assert arguments["x-consumer-timeout"] > conf["time_limit"] * 1000


def test_the_engine_crash_tests_pass_on_rabbitmq(vhost):
    """tests/reliability/test_engine_crashes.py, unchanged, with every process (the test's
    own, its workers, its beat) on RabbitMQ: kill -9 of a worker mid-action loses nothing
    and duplicates no effect; a step message delivered twice makes one transition."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    # A database of its own: pytest-django makes test_<name>, apart from this run's.
    database = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_rabbitmq"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/reliability/test_engine_crashes.py", "-q",
         "-p", "no:playwright", "-p", "no:cacheprovider",
         "-k", "kill_9_mid_action or delivered_twice"],
        cwd=ROOT, env=platform_env(vhost, DATABASE_URL=database),
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout, done.stdout[-3000:]
    # The workers ran on the vhost's quorum queues, not on Redis.
    assert {"steps", "starts", "timers"} <= {
        name for name, row in queues_of(vhost).items() if row["type"] == "quorum"
    }


def test_a_timer_wake_up_arrives_after_its_countdown_on_quorum_queues(vhost, start_worker):
    """The timer sweep's wake-ups (engine/dispatch.py) carry a countdown; on quorum
    queues Celery delays them in RabbitMQ (native delayed delivery, topic exchanges), so
    the message reaches the worker when it is due instead of waiting unacknowledged in it."""
    worker = start_worker(queues="timers", env={"CELERY_BROKER_URL": broker_url(vhost)})
    script = (
        "import time, django; django.setup()\n"
        "from workflow_platform.celery import app\n"
        "result = app.send_task('engine.timers.sweep_due_timers', queue='timers', countdown=3)\n"
        "print(result.id, time.time())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=platform_env(vhost),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    task_id, sent = done.stdout.split()[-2:]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if f"[{task_id}] succeeded" in worker.log_path.read_text():
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the wake-up never ran:\n{worker.log_path.read_text()[-3000:]}")
    received_after = time.time() - float(sent)
    assert received_after >= 2.5, f"delivered {received_after:.1f} s after sending, before due"
    assert "celery_delayed_delivery" in rabbitmqctl("list_exchanges", "-p", vhost, "name")
