"""``run_platform`` refuses a bad worker log level before it starts anything."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_an_unknown_worker_log_level_is_a_clear_error(monkeypatch):
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    with pytest.raises(CommandError, match="must be one of DEBUG, INFO, WARNING"):
        call_command("run_platform", "--worker-log-level", "loud")
    assert started == []
