"""The monitoring files in deploy/ hold together (#15): the Prometheus alert rules pass
``promtool check rules`` and their own unit tests (``promtool test rules``: each alert
fires on the series that should fire it, after its ``for``); the Prometheus config loads
them; every query of the Grafana dashboard is valid PromQL; and every metric either
names is one the platform exports (observability/latency.py and metrics.py).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "workflow-island.json"
METRIC = re.compile(r"\b(workflow_[a-z_]+)\b")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    tool = shutil.which("promtool")
    if tool is None:
        pytest.fail("promtool is required (scripts/ensure-services.sh installs it)")
    return subprocess.run(
        [tool, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def exported_metrics() -> set[str]:
    names = set()
    for module in ("latency.py", "metrics.py"):
        text = (ROOT / "workflow_platform" / "observability" / module).read_text()
        names |= set(re.findall(r'"(workflow_[a-z_]+)"', text))
    return names


def base_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def test_the_alert_rules_pass_promtool_and_their_unit_tests():
    checked = promtool("check", "rules", "alerts.yml", cwd=PROMETHEUS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yml", cwd=PROMETHEUS)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_prometheus_config_loads_with_its_rules(tmp_path):
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]  # where compose mounts it
    config["rule_files"] = [str(PROMETHEUS / "alerts.yml")]
    token = tmp_path / "metrics-token"
    token.write_text("token")
    for job in config["scrape_configs"]:
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(token)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_dashboard_query_is_valid_promql(tmp_path):
    queries = dashboard_queries()
    assert len(queries) >= 10
    # promtool checks PromQL inside rule files: each query becomes a recording rule.
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query_{n}", "expr": q} for n, q in enumerate(queries)
    ]}]}  # fmt: skip
    (tmp_path / "dashboard-rules.yml").write_text(yaml.safe_dump(rules))
    checked = promtool("check", "rules", "dashboard-rules.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_dashboard_and_the_alerts_use_only_metrics_the_platform_exports():
    exported = exported_metrics()
    assert {"workflow_step_duration_seconds", "workflow_ready_instances"} <= exported
    alerts = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    texts = dashboard_queries() + [r["expr"] for g in alerts["groups"] for r in g["rules"]]
    used = {base_name(name) for text in texts for name in METRIC.findall(text)}
    assert used <= exported, used - exported


def test_the_dashboard_is_a_grafana_dashboard_with_a_prometheus_source_variable():
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] == "workflow-island" and dashboard["schemaVersion"] >= 36
    (source,) = dashboard["templating"]["list"]
    assert (source["type"], source["query"]) == ("datasource", "prometheus")
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"]
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
