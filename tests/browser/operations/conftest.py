"""The operator pages in Chromium, on pytest-django's live server (the engine's worker
runs in the test's own thread, so the test decides when the instance moves)."""

from __future__ import annotations

import pytest

from tests import factories
from tests.unit.engine import callables  # noqa: F401 - registers the engine_tests.* callables
from workflow_platform.engine import dispatch


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Nudges and timer wake-ups are not sent: the test runs the worker itself."""
    monkeypatch.setattr(dispatch, "send_now", lambda *args, **kwargs: None)
    monkeypatch.setattr(dispatch, "_send_wakes", lambda *args, **kwargs: None)


@pytest.fixture
def work():
    """Run the engine's worker in this thread until nothing is ready."""
    return factories.run_until_idle


@pytest.fixture
def page_problems(page):
    """Dialogs (a confirm() the page should not need), page errors and console errors."""
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))

    def console(message) -> None:
        # HTTP answers (a form sent back with its errors is a 400; no favicon yet) are the
        # server's, not faults of the page; a blocked script or a JS error is.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            seen.append(f"console: {message.text}")

    page.on("console", console)
    return seen
