"""Which backend a failure belongs to, and how each backend answers right now.

A request that meets PostgreSQL (or SQLite) refusing connections, a full connection pool,
a read-only database, Redis gone or loading, or the broker unreachable is not a bug in
the platform: it is answered **503 with ``Retry-After``** (``api/exceptions.py``, the UI's
``api/middleware.py``), never a 500, and the transaction it ran in rolled back, so
nothing is half-written. ``/healthz`` (``api/health.py``) probes each backend and names
the ones that are down.
"""

from __future__ import annotations

import time
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import current_app
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection

# SQLSTATE classes that mean "the database cannot take this now", not "this is wrong":
# 08 connection exceptions, 53 insufficient resources (too many clients), 57 operator
# intervention (shutdown, cancelled by a timeout), 25006 read-only transaction.
UNAVAILABLE_SQLSTATES = ("08", "53", "57", "25006")

REDIS_DOWN = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.ReadOnlyError,
)


def retry_after() -> int:
    """Seconds a client should wait before it tries again (``Retry-After``)."""
    return int(getattr(settings, "WORKFLOW_BACKEND_RETRY_AFTER", 5))


def unavailable_backend(exc: BaseException | None) -> str | None:
    """``"database"``, ``"redis"`` or ``"broker"`` if ``exc`` means that backend is down or
    overloaded; ``None`` for anything else (a bug stays a 500)."""
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return "database"  # refused, lost, pool exhausted, locked (SQLite), deadlock
        if isinstance(exc, DatabaseError) and _sqlstate(exc).startswith(UNAVAILABLE_SQLSTATES):
            return "database"  # e.g. a read-only standby (25006 is an InternalError)
        if isinstance(exc, REDIS_DOWN):
            return "redis"
        if isinstance(exc, kombu.exceptions.OperationalError):
            return "broker"
        exc = exc.__cause__ or exc.__context__
    return None


def _sqlstate(exc: BaseException) -> str:
    cause = exc.__cause__
    return str(getattr(cause, "sqlstate", "") or "")


def probe_all() -> dict[str, dict[str, Any]]:
    """Each backend's state: ``{"ok": bool, "ms": float, "error"?: str}``, or
    ``{"ok": True, "used": False}`` for one this installation does not use."""
    return {
        "database": _timed(_probe_database),
        "redis": _timed(_probe_redis) if settings.REDIS_URL else {"ok": True, "used": False},
        "broker": _timed(_probe_broker),
    }


def _timed(probe) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        probe()
    except Exception as error:  # a probe reports any failure; it never raises
        result: dict[str, Any] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    else:
        result = {"ok": True}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _probe_redis() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _probe_broker() -> None:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)
