"""Real PostgreSQL, Redis and Celery workers (fixtures in tests/services.py)."""

from tests.services import *  # noqa: F403
