"""The clock every process agrees on: the database server's.

Leases decide which worker may run an instance's action. Judged by each worker's own
clock, a worker an hour ahead would take every lease as expired and steal it from the
worker running it, and the leases of a worker an hour behind would look expired to all
the others: actions would run twice (fencing still keeps the commits single). So lease
expiries are written and compared in the database's time. The embedded default
(SQLite) runs on one host, where the local clock is that clock.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone


def database_now() -> datetime:
    """The database server's time now (``statement_timestamp()`` on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        return cursor.fetchone()[0]
