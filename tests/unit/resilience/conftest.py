"""The engine's unit fixtures (published versions, an in-process worker) plus callables."""

from tests.unit.engine.conftest import linear, nudges, publish, work  # noqa: F401

from . import callables  # noqa: F401  (registers the python actions these specs run)
