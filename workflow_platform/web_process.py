"""What makes a process a web process: its database connections come from a pool.

Django runs each request in a thread of its own and persistent connections are per
thread, so an unbounded web process once held 99 of PostgreSQL's 100 connections
(docs/adr/0013-bounded-database-connections.md). ``asgi.py`` and ``wsgi.py`` load Django
through :func:`load_web_application`, which turns the pool on (``WORKFLOW_DB_POOL_SIZE``
4 unless set) while the settings are read, and only then: processes this one starts
(or, in tests, workers started after a test imported the ASGI app) choose their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

WEB_POOL_SIZE = "4"
_App = TypeVar("_App")


def load_web_application(load: Callable[[], _App]) -> _App:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_platform.settings")
    chosen = "WORKFLOW_DB_POOL_SIZE" in os.environ
    os.environ.setdefault("WORKFLOW_DB_POOL_SIZE", WEB_POOL_SIZE)
    try:
        return load()
    finally:
        if not chosen:
            del os.environ["WORKFLOW_DB_POOL_SIZE"]
