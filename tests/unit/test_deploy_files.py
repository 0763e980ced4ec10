"""The deployment files in deploy/ hold together: the compose file validates with
docker-compose and its web environment passes ``check --deploy``; the Helm chart renders
(tests/chart_renderer.py: no helm binary installs on this machine, docs/deploy.md) and
every manifest it renders is valid against the Kubernetes 1.30 schemas; both give every
setting settings.py reads from the environment; the image is pinned and non-root.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from tests.chart_renderer import render_chart

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "workflow-island"
KUBERNETES = "1.30.0"
# Set per role, not once for all (web: a pool of 4; workers and scheduler: none).
PER_ROLE = {"WORKFLOW_DB_POOL_SIZE"}
COMPOSE_ENV = {
    "SECRET_KEY": "compose-check-" + "k" * 50,
    "POSTGRES_PASSWORD": "pg-password",
    "RABBITMQ_PASSWORD": "mq-password",
    "WORKFLOW_METRICS_TOKEN": "metrics-token",
    "GRAFANA_ADMIN_PASSWORD": "grafana-password",
}


def settings_from_environment() -> set[str]:
    """Every variable the settings modules read from the environment."""
    names: set[str] = set()
    for module in ("settings.py", "settings_production.py"):
        text = (ROOT / "workflow_platform" / module).read_text()
        names |= set(re.findall(r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z0-9_]+)"', text))
    return names


def test_the_settings_list_is_found():
    names = settings_from_environment()
    assert {"DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL", "WORKFLOW_TASK_TIME_LIMIT"} <= names
    assert len(names) > 35


def test_every_setting_is_in_the_configuration_reference():
    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = {name for name in settings_from_environment() if f"`{name}`" not in reference}
    assert not missing, f"not in docs/configuration.md: {sorted(missing)}"


# --- compose ----------------------------------------------------------------------------


def compose(*args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("docker-compose")  # Debian's, which ensure-services.sh installs
    command = [binary] if binary else []
    if not command and shutil.which("docker"):
        version = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        command = ["docker", "compose"] if version.returncode == 0 else []
    if not command:
        pytest.fail("docker-compose is not installed (scripts/ensure-services.sh)", pytrace=False)
    # Only what compose needs: no setting of this test run leaks into the file's defaults.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **COMPOSE_ENV}
    return subprocess.run(
        [*command, "-f", str(DEPLOY / "compose.yaml"), "--profile", "monitoring", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def compose_config() -> dict:
    quiet = compose("config", "-q")
    assert quiet.returncode == 0, quiet.stderr
    done = compose("config")
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_has_every_service_each_with_a_healthcheck(compose_config):
    services = compose_config["services"]
    assert set(services) == {
        "proxy", "postgres", "redis", "rabbitmq", "migrate", "web", "websocket", "worker",
        "scheduler", "prometheus", "grafana",
    }  # fmt: skip
    for name, service in services.items():
        if name == "migrate":  # a one-shot job: the platform waits for it to complete
            assert service["healthcheck"] in ({"disable": True}, {"test": ["NONE"]})
            continue
        assert service["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    # API and pages on gunicorn, websockets on Daphne (ADR 0017), nginx routing between.
    assert "exec gunicorn" in services["web"]["command"][-1]
    assert "exec daphne" in services["websocket"]["command"][-1]
    nginx = (DEPLOY / "nginx" / "nginx.conf").read_text()
    assert re.search(r"location /ws/ \{\s*proxy_pass http://websocket;", nginx)
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert set(services["prometheus"]["profiles"]) == {"monitoring"}


def test_compose_gives_every_platform_process_every_setting(compose_config):
    services = compose_config["services"]
    for name in ("migrate", "web", "websocket", "worker", "scheduler"):
        environment = services[name]["environment"]
        missing = settings_from_environment() - PER_ROLE - set(environment)
        assert not missing, f"{name} lacks {sorted(missing)}"
    assert services["web"]["environment"]["WORKFLOW_DB_POOL_SIZE"] == "4"
    assert services["worker"]["environment"]["WORKFLOW_DB_POOL_SIZE"] == "0"
    assert services["web"]["environment"]["CELERY_BROKER_URL"].startswith("amqp://")


def test_the_compose_web_environment_passes_check_deploy(compose_config, tmp_path):
    environment = {k: str(v) for k, v in compose_config["services"]["web"]["environment"].items()}
    environment.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        WORKFLOW_VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        PROMETHEUS_MULTIPROC_DIR="",
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(environment)
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


# --- the Helm chart -----------------------------------------------------------------------

EVERYTHING_ON = {
    "existingSecret": "my-platform-secret",
    "imagePullSecrets": [{"name": "registry"}],
    "nodeSelector": {"pool": "workflows"},
    "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
    "ingress": {
        "enabled": True,
        "tlsSecretName": "workflows-tls",
        "annotations": {"nginx.ingress.kubernetes.io/proxy-read-timeout": "3600"},
    },
    "web": {"autoscaling": {"enabled": False}},
    "worker": {"autoscaling": {"kind": "hpa"}},
}
VALUE_SETS = {
    "defaults": {},
    "everything on": EVERYTHING_ON,
    "fixed workers": {
        "worker": {"autoscaling": {"kind": "none"}},
        "migrations": {"enabled": False},
    },
    "keda with authentication": {"worker": {"autoscaling": {"triggerAuthentication": "mq-auth"}}},
}


def by_kind(documents: list[dict]) -> dict[tuple[str, str], dict]:
    return {
        (d["manifest"]["kind"], d["manifest"]["metadata"]["name"]): d["manifest"] for d in documents
    }


@pytest.mark.parametrize("overrides", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_rendered_manifest_is_valid_kubernetes(overrides):
    documents = render_chart(CHART, overrides)
    assert documents
    for document in documents:
        manifest = document["manifest"]
        if manifest["apiVersion"].startswith("keda.sh/"):
            check_scaled_object(manifest)  # a CRD: no schema in the Kubernetes set
            continue
        try:
            kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{document['source']}: {manifest['kind']}: {error.message} at "
                        f"{'/'.join(map(str, error.path))}")  # fmt: skip


def check_scaled_object(manifest: dict) -> None:
    assert manifest["kind"] == "ScaledObject"
    spec = manifest["spec"]
    assert spec["scaleTargetRef"]["name"].endswith("-worker")
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    for trigger in spec["triggers"]:
        assert trigger["type"] == "rabbitmq"
        metadata = trigger["metadata"]
        assert metadata["mode"] == "QueueLength" and metadata["queueName"] in {"steps", "starts"}
        assert isinstance(metadata["value"], str)
        assert "hostFromEnv" in metadata or "authenticationRef" in trigger


def test_the_chart_runs_web_workers_a_single_scheduler_and_a_migration_hook():
    objects = by_kind(render_chart(CHART))
    web = objects[("Deployment", "wi-workflow-island-web")]
    websocket = objects[("Deployment", "wi-workflow-island-websocket")]
    worker = objects[("Deployment", "wi-workflow-island-worker")]
    scheduler = objects[("Deployment", "wi-workflow-island-scheduler")]
    assert scheduler["spec"]["replicas"] == 1
    assert scheduler["spec"]["strategy"] == {"type": "Recreate"}
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert "exec gunicorn" in " ".join(container["command"])
    websocket_container = websocket["spec"]["template"]["spec"]["containers"][0]
    assert "exec daphne" in " ".join(websocket_container["command"])
    assert websocket_container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert "celery -A workflow_platform worker" in " ".join(
        worker["spec"]["template"]["spec"]["containers"][0]["command"]
    )
    assert ("HorizontalPodAutoscaler", "wi-workflow-island-web") in objects
    assert ("ScaledObject", "wi-workflow-island-worker") in objects
    job = objects[("Job", "wi-workflow-island-migrations")]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][-2:] == [
        "migrate", "--noinput",
    ]  # fmt: skip
    assert ("Service", "wi-workflow-island-web") in objects
    for deployment in (web, websocket, worker, scheduler):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        sources = pod["containers"][0]["envFrom"]
        assert {"configMapRef", "secretRef"} == {key for source in sources for key in source}


def test_the_chart_has_every_setting_in_its_configmap_or_secret():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    config, secret = set(values["config"]), set(values["secrets"])
    assert not config & secret
    missing = settings_from_environment() - PER_ROLE - config - secret
    assert not missing, f"not in values.yaml config or secrets: {sorted(missing)}"
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST_PASSWORD"} <= secret
    objects = by_kind(render_chart(CHART))
    assert set(objects[("ConfigMap", "wi-workflow-island")]["data"]) == config
    assert set(objects[("Secret", "wi-workflow-island")]["data"]) == secret
    everything_on = by_kind(render_chart(CHART, EVERYTHING_ON))
    assert ("Secret", "wi-workflow-island") not in everything_on  # the operator's own
    assert ("HorizontalPodAutoscaler", "wi-workflow-island-worker") in everything_on
    ingress = everything_on[("Ingress", "wi-workflow-island")]
    paths = {
        path["path"]: path["backend"]["service"]["name"]
        for path in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert paths == {"/ws/": "wi-workflow-island-websocket", "/": "wi-workflow-island-web"}


# --- the image ----------------------------------------------------------------------------


def test_the_image_is_pinned_hashed_non_root_with_static_files_and_a_health_check():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert base and re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base[1])
    assert "--require-hashes" in dockerfile and "requirements.lock" in dockerfile
    assert re.search(r"^USER 10001", dockerfile, re.MULTILINE)
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "var"} <= set(ignored)
