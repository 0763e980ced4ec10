"""Browser fixtures for the inbox: a real ASGI server (Daphne) on the test database.

Websockets need ASGI, so these tests do not use pytest-django's WSGI live_server: they
start ``daphne`` in a subprocess against the database pytest-django created (committed
data: transactional_db) with the Redis channel layer, plus a real Celery worker.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.daphne import DaphneServer
from tests.browser.daphne import sign_in as sign_in_as
from tests.services import (  # noqa: F401 - fixtures used by the inbox browser tests
    clean_broker,
    database_url,
    redis_client,
    require_real_services,
    start_worker,
)


@pytest.fixture
def daphne(transactional_db, clean_broker, tmp_path):  # noqa: F811
    """The platform served by Daphne (HTTP and websockets)."""
    server = DaphneServer(tmp_path, dict(os.environ, DATABASE_URL=database_url())).start()
    yield server
    server.stop()


@pytest.fixture
def asgi_server(daphne):
    """The base URL of the Daphne server."""
    return daphne.url


@pytest.fixture
def sign_in(browser, asgi_server):
    """A new browser context signed in as ``username``; returns its page."""
    pages = []

    def open_as(username: str, password: str = "pw-for-tests"):
        pages.append(sign_in_as(browser, asgi_server, username, password))
        return pages[-1]

    yield open_as
    for page in pages:
        page.context.close()
