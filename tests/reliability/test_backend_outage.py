"""PostgreSQL going away: the web answers 503 with Retry-After, and recovers on its own.

A real Daphne process serves the platform on the test database through a TCP proxy;
cutting the proxy is, for the web process, PostgreSQL gone (refused connections, the
pooled ones reset). No mock: the answers are what a client would get.
"""

from __future__ import annotations

import os
import time

import httpx
from django.db import connection

from tests.browser.daphne import DaphneServer
from tests.factories import make_member, make_token, publish
from tests.tcp_proxy import TcpProxy
from workflow_platform.engine.models import Instance
from workflow_platform.tenancy.scoping import all_tenants

from .conftest import wait_for
from .workflows import loopback_tenant

PARKED = {
    "key": "parked",
    "initial": "waiting",
    "states": [{"name": "waiting"}, {"name": "done", "final": True}],
    "transitions": [{"from": "waiting", "to": "done", "on": "go"}],
}


def test_postgres_gone_is_a_503_with_retry_after_and_the_web_recovers_alone(
    transactional_db, tmp_path
):
    tenant = loopback_tenant()
    publish(tenant, PARKED)
    _, raw = make_token(tenant, make_member(tenant, "operator"))
    db = connection.settings_dict
    proxy = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["DATABASE_URL"] = (
        f"postgres://{db.get('USER') or 'postgres'}@127.0.0.1:{proxy.port}/{db['NAME']}"
    )
    env["WORKFLOW_DB_POOL_TIMEOUT"] = "2"
    env["WORKFLOW_VAR_DIR"] = str(tmp_path / "var")
    web = DaphneServer(tmp_path, env).start()
    api = httpx.Client(base_url=web.url, headers={"Authorization": f"Bearer {raw}"}, timeout=15)

    def start():
        return api.post("/api/instances/", json={"definition": "parked", "data": {}})

    try:
        assert start().status_code == 201
        assert api.get("/healthz").json()["down"] == []

        proxy.stop()
        began = time.monotonic()
        refused = start()
        assert time.monotonic() - began < 5, "the outage took too long to be answered"
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        body = refused.json()
        assert body["code"] == "backend_unavailable" and body["backend"] == "database"
        health = api.get("/healthz")
        assert health.status_code == 503 and health.headers["Retry-After"] == "5"
        assert health.json()["down"] == ["database"]
        assert api.get("/api/instances/").status_code == 503  # reads too, not a 500
        assert api.get("/livez").text == "ok"  # the process itself is fine

        proxy.start()  # PostgreSQL is back: no restart of the web process
        wait_for(lambda: start().status_code == 201, timeout=30, message="no recovery")
        assert api.get("/healthz").status_code == 200
    finally:
        api.close()
        web.stop()
        proxy.stop()
    with all_tenants():
        # The two starts answered 201 and the one that recovered; the 503 wrote nothing.
        assert Instance.objects.filter(definition__key="parked").count() == 2
