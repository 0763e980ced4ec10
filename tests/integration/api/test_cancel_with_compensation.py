"""POST /api/instances/{id}/cancel/ with ``compensate``: on PostgreSQL and a real worker,
the completed steps' compensations call the dependency, newest first, once each; a plain
cancel calls nothing."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import api_client, make_member, make_tenant, publish
from tests.integration.resilience.workflows import http
from workflow_platform.engine.models import HistoryEvent
from workflow_platform.worklist.models import HumanTask


class Recorder:
    """A dependency on loopback that answers 200 and remembers (path, Idempotency-Key)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.calls.append((self.path, self.headers.get("Idempotency-Key", "")))
                body = json.dumps({"ok": True}).encode()
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

    def paths(self) -> list[str]:
        return [path for path, _ in self.calls]


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def submission(url: str) -> dict:
    """upload → register, then a human review; both steps have compensations."""
    return {
        "key": "app-submission",
        "initial": "new",
        "states": [{"name": "new"}, {"name": "uploaded"},
                   {"name": "review", "kind": "human", "task": {"title": "Review the app"}},
                   {"name": "listed", "kind": "final"}],
        "transitions": [
            {"from": "new", "to": "uploaded", "action": "upload"},
            {"from": "uploaded", "to": "review", "action": "register"},
            {"from": "review", "to": "listed", "on": "approve"},
        ],
        "actions": {
            "upload": {**http(f"{url}/upload"), "compensation": "delete_binary"},
            "register": {**http(f"{url}/register"), "compensation": "unregister"},
            "delete_binary": http(f"{url}/delete-binary"),
            "unregister": http(f"{url}/unregister"),
        },
    }  # fmt: skip


def until(fetch, holds, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if holds(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.fixture
def operator(transactional_db, recorder):
    tenant = make_tenant("saga-api", allow_private_network=True)
    publish(tenant, submission(recorder.url))
    return tenant, api_client(tenant, make_member(tenant, "operator", "saga-op", password=None))


def start_in_review(client) -> dict:
    started = client.post("/api/instances/", {"definition": "app-submission"}, format="json")
    assert started.status_code == 201, started.json()
    read = until(
        lambda: client.get(f"/api/instances/{started.json()['id']}/").json(),
        lambda found: found["status"] == "waiting",
    )
    assert (read["state"], read["status"]) == ("review", "waiting"), read
    return read


def test_a_compensating_cancel_runs_the_compensations_newest_first(
    start_worker, recorder, operator
):
    tenant, client = operator
    start_worker()
    instance = start_in_review(client)
    assert recorder.paths() == ["/upload", "/register"]

    answer = client.post(
        f"/api/instances/{instance['id']}/cancel/",
        {"compensate": True, "reason": "Withdrawn by the applicant."},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "compensating"

    done = until(
        lambda: client.get(f"/api/instances/{instance['id']}/").json(),
        lambda found: found["status"] == "compensated",
    )
    assert done["status"] == "compensated", done
    assert recorder.paths() == ["/upload", "/register", "/unregister", "/delete-binary"]
    keys = dict(recorder.calls)
    i = instance["id"]
    assert (keys["/unregister"], keys["/delete-binary"]) == (f"wi-{i}-2-undo", f"wi-{i}-1-undo")
    history = HistoryEvent.objects.for_tenant(tenant).filter(instance_id=i).order_by("seq")
    compensating = history.get(type="compensating")
    assert compensating.user.username == "saga-op"
    assert compensating.detail["message"] == "Withdrawn by the applicant."
    assert list(history.values_list("type", flat=True))[-4:] == [
        "compensating", "compensation_ran", "compensation_ran", "compensated",
    ]  # fmt: skip
    assert HumanTask.objects.for_tenant(tenant).get(instance_id=i).status == "cancelled"


def test_a_plain_cancel_runs_no_compensation(start_worker, recorder, operator):
    _, client = operator
    start_worker()
    instance = start_in_review(client)
    answer = client.post(f"/api/instances/{instance['id']}/cancel/", {}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "cancelled"
    time.sleep(1)  # a worker that wrongly took it on would have called by now
    assert recorder.paths() == ["/upload", "/register"]
    again = client.post(
        f"/api/instances/{instance['id']}/cancel/", {"compensate": True}, format="json"
    )
    assert again.status_code == 409
    assert again.json()["code"] == "instance_ended"
