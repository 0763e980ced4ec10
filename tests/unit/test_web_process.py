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


def test_a_web_process_started_as_the_servers_start_it_has_its_pool(tmp_path):
    """Daphne and gunicorn import ``workflow_platform.asgi`` / ``.wsgi``, so the package
    (and its Celery app) first: that import must not read the settings before
    load_web_application turns the pool on (a regression of #16 did, and every request
    under Daphne opened a PostgreSQL connection of its own)."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import workflow_platform;"
        "from django.conf import settings;"
        "print(settings.configured);"
        "import workflow_platform.{module};"
        "print(settings.DATABASES['default']['OPTIONS']['pool']['max_size'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"WORKFLOW_DB_POOL_SIZE", "REDIS_URL"}}
    env.update(DATABASE_URL="postgres://u@127.0.0.1:5432/x", WORKFLOW_VAR_DIR=str(tmp_path))
    for module in ("asgi", "wsgi"):
        done = subprocess.run(
            [sys.executable, "-c", code.format(module=module)],
            cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.split()[-2:] == ["False", "4"], (module, done.stdout)
