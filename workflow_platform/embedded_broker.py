"""The embedded mode's Celery broker: kombu's SQLAlchemy transport on a SQLite file.

Two adjustments to the stock transport (docs/adr/0001-embedded-transports.md):
- it polls every 0.1 s instead of 1 s, so consecutive steps do not wait a second each;
- SQLite runs in WAL mode with a busy timeout, so the web process, the worker's pool
  and the scheduler can share the file without "database is locked" errors.

This transport fetches a message by marking it invisible: a worker killed mid-task does
not get it back. That is acceptable only because the database is the source of truth and
the scheduler's sweeps re-enqueue whatever was due and not done.
"""

from __future__ import annotations

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as sqla
from sqlalchemy import create_engine, event

ALIAS = "wisqla"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(sqla.Channel):
    polling_interval = 0.1

    def _engine_from_config(self):
        url = self.connection.client.hostname
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine


class Transport(sqla.Transport):
    Channel = Channel


def register() -> None:
    """Make ``wisqla+sqlite:///path`` a broker URL kombu understands."""
    TRANSPORT_ALIASES.setdefault(ALIAS, f"{__name__}:Transport")
