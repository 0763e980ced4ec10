"""Tracing and log format are set up from the environment, per process kind."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.unit.test_settings import run_django
from workflow_platform.engine import tracing as engine_tracing
from workflow_platform.observability import tracing
from workflow_platform.settings import logging_config

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "workflow_platform.settings_production",
    "SECRET_KEY": "a-production-secret-" + "x9Y!" * 15,
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
    "ALLOWED_HOSTS": "workflows.example.com",
}
SAY = "import logging; logging.getLogger('billing').warning('charged %s', 'A-7')"


def test_tracing_is_off_without_an_exporter_and_in_this_process():
    assert tracing.exporter_names({}) == []
    assert tracing.exporter_names({"OTEL_TRACES_EXPORTER": "none"}) == []
    assert (
        tracing.exporter_names({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}) == []
    )
    assert not engine_tracing.enabled()


def test_exporters_are_read_from_otel_traces_exporter():
    assert tracing.exporter_names({"OTEL_TRACES_EXPORTER": "OTLP, console"}) == ["otlp", "console"]


def test_an_unknown_exporter_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured, match="'zipkin'"):
        tracing.exporter_names({"OTEL_TRACES_EXPORTER": "zipkin"})


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["/venv/bin/celery", "-A", "workflow_platform", "worker", "-Q", "steps"], "worker"),
        (["/venv/lib/python3.11/site-packages/celery/__main__.py", "-A", "x", "worker"], "worker"),
        (["/venv/bin/celery", "-A", "workflow_platform", "beat"], "beat"),
        (["manage.py", "run_platform"], "web"),
        (["/venv/bin/daphne", "workflow_platform.asgi:application"], "web"),
    ],
)
def test_the_process_kind_decides_when_tracing_is_set_up(argv, kind):
    assert tracing.process_kind(argv) == kind


def test_workers_do_not_instrument_django(monkeypatch):
    monkeypatch.setenv("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS", "psycopg")
    assert tracing.instrumentations("web") == ["django", "celery", "httpx"]
    assert tracing.instrumentations("worker") == ["celery", "httpx"]


def test_a_log_format_other_than_json_or_console_is_refused():
    with pytest.raises(ImproperlyConfigured, match="json or console"):
        logging_config("INFO", "yaml")


def test_the_production_profile_logs_json_lines(tmp_path):
    result = run_django({**PRODUCTION, "WORKFLOW_VAR_DIR": str(tmp_path)}, "shell", "-c", SAY)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    said = [line for line in lines if line.get("logger") == "billing"]
    assert said == [
        {
            "message": "charged A-7",
            "level": "warning",
            "logger": "billing",
            "timestamp": said[0]["timestamp"],
        }
    ]


def test_the_default_profile_logs_readable_lines(tmp_path):
    result = run_django({"WORKFLOW_VAR_DIR": str(tmp_path)}, "shell", "-c", SAY)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "[billing]" in line]
    assert "[warning  ] charged A-7" in line
    assert not line.startswith("{")


def test_an_otel_console_exporter_prints_the_spans_of_a_traced_process(tmp_path):
    code = (
        "from workflow_platform.engine import tracing; "
        "from opentelemetry import trace; "
        "assert tracing.enabled(); "
        "span = trace.get_tracer('t').start_span('hello'); span.end(); "
        "trace.get_tracer_provider().shutdown()"
    )
    result = run_django(
        {"WORKFLOW_VAR_DIR": str(tmp_path), "OTEL_TRACES_EXPORTER": "console"}, "shell", "-c", code
    )
    assert result.returncode == 0, result.stderr
    assert '"name": "hello"' in result.stdout
    assert '"service.name": "workflow-island"' in result.stdout
