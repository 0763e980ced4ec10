"""Settings come from the environment; unset means the embedded default."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def run_django(env_overrides: dict, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_embedded_default_needs_no_server():
    assert settings.EMBEDDED
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings.CELERY_BROKER_URL.startswith("wisqla+sqlite:///")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer")


def test_celery_is_configured_for_durable_work():
    from workflow_platform.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]
    assert {q.name for q in app.conf.task_queues} == {"steps", "starts", "waits", "timers"}
    assert app.amqp.router.route({}, "engine.starts.start_batch")["queue"].name == "starts"


def test_database_and_redis_urls_switch_to_postgres_and_redis(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL,"
        " s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'] > s.WORKFLOW_MAX_ACTION_TIMEOUT)"
    )
    result = run_django(
        {
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
            "REDIS_URL": "redis://127.0.0.1:6379/3",
            "WORKFLOW_VAR_DIR": str(tmp_path),
        },
        "shell",
        "-c",
        code,
    )
    assert result.returncode == 0, result.stderr
    engine, broker, layer, visibility_ok = result.stdout.strip().splitlines()[-1].split()
    assert engine.split()[0] == "django.db.backends.postgresql"
    assert broker == "redis://127.0.0.1:6379/3"
    assert layer == "channels_redis.core.RedisChannelLayer"
    assert visibility_ok == "True"  # redelivery only after the longest action could finish


def test_production_profile_passes_check_deploy(tmp_path):
    result = run_django(
        {
            "DJANGO_SETTINGS_MODULE": "workflow_platform.settings_production",
            "SECRET_KEY": "a-production-secret-" + "x9Y!" * 15,
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
            "ALLOWED_HOSTS": "workflows.example.com",
            "WORKFLOW_VAR_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "DEBUG",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_django(
        {
            "DJANGO_SETTINGS_MODULE": "workflow_platform.settings_production",
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
            "WORKFLOW_VAR_DIR": str(tmp_path),
        },
        "check",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_an_amqp_broker_gets_quorum_queues_confirms_and_a_consumer_timeout(tmp_path):
    code = (
        "from django.conf import settings as s; from workflow_platform.celery import app;"
        "q = app.conf.task_queues[0];"
        "print(s.CELERY_BROKER_TRANSPORT_OPTIONS, q.queue_arguments['x-queue-type'],"
        " q.exchange.type, q.queue_arguments['x-consumer-timeout'], s.CELERY_TASK_TIME_LIMIT)"
    )
    env = {"CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"}
    result = run_django({**env, "WORKFLOW_VAR_DIR": str(tmp_path)}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("{'confirm_publish': True} quorum topic ")
    timeout_ms, limit = line.split()[-2:]
    assert int(timeout_ms) > float(limit) * 1000


def test_a_consumer_timeout_within_the_task_time_limit_is_refused(tmp_path):
    env = {
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "WORKFLOW_AMQP_CONSUMER_TIMEOUT": "400",
        "WORKFLOW_VAR_DIR": str(tmp_path),
    }
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "WORKFLOW_AMQP_CONSUMER_TIMEOUT" in result.stderr
