"""The engine's fixtures (published versions, a worker in this process) for its pages."""

from tests.unit.engine import callables  # noqa: F401 - registers the engine_tests.* callables
from tests.unit.engine.conftest import linear, nudges, publish, work  # noqa: F401
