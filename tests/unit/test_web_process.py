"""Web processes read their settings with the pool on; what they start does not inherit it."""

import os

from workflow_platform.web_process import load_web_application


def test_the_pool_is_on_while_the_web_app_loads_and_not_left_behind(monkeypatch):
    monkeypatch.delenv("WORKFLOW_DB_POOL_SIZE", raising=False)
    seen = load_web_application(lambda: os.environ["WORKFLOW_DB_POOL_SIZE"])
    assert seen == "4"
    assert "WORKFLOW_DB_POOL_SIZE" not in os.environ  # children (workers) choose their own


def test_a_pool_size_the_operator_chose_is_kept(monkeypatch):
    monkeypatch.setenv("WORKFLOW_DB_POOL_SIZE", "12")
    assert load_web_application(lambda: os.environ["WORKFLOW_DB_POOL_SIZE"]) == "12"
    assert os.environ["WORKFLOW_DB_POOL_SIZE"] == "12"
