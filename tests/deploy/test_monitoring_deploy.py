"""Monitoring as deployed: the Prometheus Operator's resources (deploy/k8s/monitoring), the
Alertmanager routing and the compose `observability` profile fit the rules and the app.

The rules and the dashboard themselves are checked by test_monitoring.py, and the rendered
overlays by the validators (test_validators.py). Here: the PrometheusRule holds exactly the
rule file's groups; both monitors give the job label `taskpilot` that the rules select, find
the app's Service and worker pods, and send the metrics token the ExternalSecret provides;
every alert's severity reaches a receiver; and compose's Prometheus, Alertmanager and Grafana
are wired to the files they need.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yaml"
MONITORING = ROOT / "deploy" / "k8s" / "monitoring"
ALERTMANAGER = ROOT / "deploy" / "alertmanager" / "alertmanager.yaml"
COMPOSE = ROOT / "deploy" / "compose.yaml"
JOB = "taskpilot"


def kustomize(path: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not on PATH")
    built = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, check=False, timeout=120
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    [found] = [
        doc
        for doc in docs
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]
    return found


def test_the_prometheusrule_is_the_rule_file() -> None:
    check = subprocess.run(
        [sys.executable, str(MONITORING / "render_rules.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    rule = yaml.safe_load((MONITORING / "base" / "prometheusrule.yaml").read_text())
    assert rule["spec"]["groups"] == yaml.safe_load(RULES.read_text())["groups"]


@pytest.mark.parametrize("environment", ["staging", "production"])
def test_the_monitors_find_the_app_as_job_taskpilot_with_the_token(environment: str) -> None:
    app = kustomize(ROOT / "deploy" / "k8s" / "overlays" / environment)
    monitoring = kustomize(MONITORING / "overlays" / environment)
    namespace = one(app, "Service")["metadata"]["namespace"]
    secret = one(app, "ExternalSecret")
    secret_keys = {entry["secretKey"] for entry in secret["spec"]["data"]}

    service = one(app, "Service")
    service_monitor = one(monitoring, "ServiceMonitor")
    assert service_monitor["metadata"]["namespace"] == namespace
    labels = service["metadata"]["labels"]
    assert service_monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert labels[service_monitor["spec"]["jobLabel"]] == JOB
    ports = {port["name"] for port in service["spec"]["ports"]}

    worker = one(app, "Deployment", "taskpilot-worker")
    pod_monitor = one(monitoring, "PodMonitor")
    pod_labels = worker["spec"]["template"]["metadata"]["labels"]
    assert pod_monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pod_labels[pod_monitor["spec"]["jobLabel"]] == JOB
    worker_ports = {
        port["name"]
        for container in worker["spec"]["template"]["spec"]["containers"]
        for port in container.get("ports", [])
    }

    for endpoint, names in (
        *((e, ports) for e in service_monitor["spec"]["endpoints"]),
        *((e, worker_ports) for e in pod_monitor["spec"]["podMetricsEndpoints"]),
    ):
        assert endpoint["port"] in names
        assert endpoint["path"] == "/metrics"
        credentials = endpoint["authorization"]["credentials"]
        assert credentials["name"] == secret["spec"]["target"]["name"]
        assert credentials["key"] == "TASKPILOT_METRICS_TOKEN" and credentials["key"] in secret_keys


def test_the_rules_select_the_job_the_monitors_give() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    jobs = {
        match
        for group in groups
        for rule in group["rules"]
        for match in re.findall(r'job="([^"]+)"', str(rule["expr"]))
    }
    assert jobs == {JOB}
    alerts = {rule.get("alert") for group in groups for rule in group["rules"]}
    assert {"TaskPilotDown", "TaskPilotMetricsAbsent"} <= alerts


def _routes(route: dict[str, Any]) -> list[dict[str, Any]]:
    return [route, *(child for sub in route.get("routes", []) for child in _routes(sub))]


_MATCHER = re.compile(r'(\w+)(=~|!~|!=|=)"(.*)"')


def _matches(matcher: str, labels: dict[str, str]) -> bool:
    """Whether an Alertmanager matcher (`severity=~"critical|warning"`) matches `labels`."""
    parsed = _MATCHER.fullmatch(matcher)
    assert parsed is not None, f"not a matcher: {matcher}"
    name, operator, value = parsed.groups()
    actual = labels.get(name, "")
    if operator == "=":
        return actual == value
    if operator == "!=":
        return actual != value
    found = re.fullmatch(value, actual) is not None
    return found if operator == "=~" else not found


def receivers_of(labels: dict[str, str], route: dict[str, Any]) -> list[str]:
    """The receivers Alertmanager sends an alert with `labels` to, as its routing tree does:
    depth first, stopping at the first matching child unless it says `continue`."""
    chosen: list[str] = []
    for child in route.get("routes", []):
        if all(_matches(m, labels) for m in child.get("matchers", [])):
            chosen.extend(receivers_of(labels, child) or [child["receiver"]])
            if not child.get("continue", False):
                break
    return chosen or [route["receiver"]]


def test_every_alert_reaches_the_receivers_its_severity_calls_for() -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text())
    names = {receiver["name"] for receiver in config["receivers"]}
    for route in _routes(config["route"]):
        assert route["receiver"] in names
        for matcher in route.get("matchers", []):
            assert _MATCHER.fullmatch(matcher), matcher
    expected = {"critical": ["pager", "slack"], "warning": ["slack"]}
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            severity = rule["labels"]["severity"]
            labels = {"alertname": rule["alert"], "severity": severity, "job": JOB}
            assert receivers_of(labels, config["route"]) == expected[severity], rule["alert"]
    [inhibit] = config["inhibit_rules"]
    assert inhibit["source_matchers"] == ['severity="critical"']
    assert inhibit["target_matchers"] == ['severity="warning"']


def test_secrets_of_the_receivers_come_from_files() -> None:
    text = ALERTMANAGER.read_text()
    assert "hooks.slack.com" not in text and "routing_key:" not in text
    config = yaml.safe_load(text)
    for receiver in config["receivers"]:
        for entry in receiver.get("slack_configs", []):
            assert entry["api_url_file"].startswith("/etc/alertmanager/secrets/")
        for entry in receiver.get("pagerduty_configs", []):
            assert entry["routing_key_file"].startswith("/etc/alertmanager/secrets/")


def _mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> file of the repository, for the service's bind mounts."""
    mounts: dict[str, Path] = {}
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            mounts[target] = (COMPOSE.parent / source).resolve()
    return mounts


def test_compose_observability_profile_is_wired_to_its_files() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("prometheus", "alertmanager", "grafana"):
        assert "observability" in services[name]["profiles"], name

    prometheus = _mounts(services["prometheus"])
    config_path = prometheus["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text())
    for rule_file in config["rule_files"]:
        assert prometheus[rule_file] == RULES.resolve()
    [job] = config["scrape_configs"]
    assert job["job_name"] == JOB
    assert set(job["dns_sd_configs"][0]["names"]) <= set(services)
    [alerting] = config["alerting"]["alertmanagers"]
    host = alerting["static_configs"][0]["targets"][0].split(":")[0]
    assert host in services

    alertmanager = _mounts(services["alertmanager"])
    assert alertmanager["/etc/alertmanager/alertmanager.yml"] == ALERTMANAGER.resolve()

    grafana = _mounts(services["grafana"])
    provider = yaml.safe_load(
        (grafana["/etc/grafana/provisioning/dashboards"] / "taskpilot.yaml").read_text()
    )
    dashboards = provider["providers"][0]["options"]["path"]
    assert any(target.startswith(dashboards + "/") for target in grafana)
    datasource = yaml.safe_load(
        (grafana["/etc/grafana/provisioning/datasources"] / "taskpilot.yaml").read_text()
    )
    url = datasource["datasources"][0]["url"]
    assert url.split("//")[1].split(":")[0] in services
