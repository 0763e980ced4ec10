"""Unit tests run the engine in this process: nothing goes to a broker."""

from __future__ import annotations

import pytest

from workflow_platform.engine import dispatch


@pytest.fixture(autouse=True)
def timer_wakes(monkeypatch):
    """The short-timer wake-ups the engine would send (dispatch.wake_for_timers)."""
    sent: list[list[float]] = []
    monkeypatch.setattr(dispatch, "_send_wakes", sent.append)
    return sent
