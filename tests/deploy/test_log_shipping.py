"""Log shipping: Fluent Bit (a DaemonSet per cluster, a service in the compose `logs` profile)
sends TaskPilot's JSON lines to OpenSearch, where an index template maps them and a retention
policy per environment keeps them.

The manifests themselves pass the validators with the other overlays (test_validators.py);
this checks that the pieces fit: every index Fluent Bit writes is covered by the template and by
exactly one environment's policy, the template maps the fields TaskPilot's lines carry, the
retention is what docs/observability.md says, and the tail reads TaskPilot's containers only.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from api.access_log import ACCESS_LOGGER
from core.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]
LOGGING = ROOT / "deploy" / "logging"
K8S_LOGGING = ROOT / "deploy" / "k8s" / "logging"
OPENSEARCH = LOGGING / "opensearch"

# Environment -> (days searchable and writable, days until deleted): the table in
# docs/observability.md.
RETENTION = {"local": (1, 7), "staging": (7, 30), "production": (14, 90)}


def load_json(path: Path) -> dict[str, Any]:
    return cast("dict[str, Any]", json.loads(path.read_text()))


def policy(environment: str) -> dict[str, Any]:
    return load_json(OPENSEARCH / f"ism-policy-{environment}.json")["policy"]


def rendered_logging(environment: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (with its built-in kustomize) is not on PATH")
    built = subprocess.run(
        [kubectl, "kustomize", str(K8S_LOGGING / "overlays" / environment)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


def fluent_bit_env(environment: str) -> dict[str, str]:
    [daemonset] = [doc for doc in rendered_logging(environment) if doc["kind"] == "DaemonSet"]
    [container] = daemonset["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item["value"] for item in container["env"]}


def index_prefixes() -> dict[str, str]:
    """The index prefix each environment's Fluent Bit writes to (before `-YYYY.MM.DD`)."""
    k8s = yaml.safe_load((K8S_LOGGING / "base" / "fluent-bit.yaml").read_text())
    [k8s_output] = k8s["pipeline"]["outputs"]
    compose = yaml.safe_load((LOGGING / "fluent-bit.yaml").read_text())
    [compose_output] = compose["pipeline"]["outputs"]
    prefixes = {"local": compose_output["logstash_prefix"]}
    for environment in ("staging", "production"):
        prefix = str(k8s_output["logstash_prefix"])
        for name, value in fluent_bit_env(environment).items():
            prefix = prefix.replace(f"${{{name}}}", value)
        prefixes[environment] = prefix
    return prefixes


def test_every_index_written_is_covered_by_the_template_and_one_policy() -> None:
    template = load_json(OPENSEARCH / "index-template.json")
    prefixes = index_prefixes()
    assert prefixes == {
        "local": "taskpilot-logs-local",
        "staging": "taskpilot-logs-staging",
        "production": "taskpilot-logs-production",
    }
    for environment, prefix in prefixes.items():
        index = f"{prefix}-2026.12.07"
        assert any(fnmatch(index, pattern) for pattern in template["index_patterns"])
        covering = [
            other
            for other in RETENTION
            if any(
                fnmatch(index, pattern)
                for entry in policy(other)["ism_template"]
                for pattern in entry["index_patterns"]
            )
        ]
        assert covering == [environment], index


@pytest.mark.parametrize("environment", sorted(RETENTION))
def test_retention_is_what_the_docs_say(environment: str) -> None:
    hot_days, delete_days = RETENTION[environment]
    states = {state["name"]: state for state in policy(environment)["states"]}
    assert list(states) == ["hot", "warm", "delete"]
    [to_warm] = states["hot"]["transitions"]
    [to_delete] = states["warm"]["transitions"]
    assert to_warm == {"state_name": "warm", "conditions": {"min_index_age": f"{hot_days}d"}}
    assert to_delete == {"state_name": "delete", "conditions": {"min_index_age": f"{delete_days}d"}}
    assert {"read_only": {}} in states["warm"]["actions"]
    assert states["delete"]["actions"] == [{"delete": {}}]


def test_the_template_maps_the_fields_of_taskpilots_lines() -> None:
    """A real access line and an error line, as the JSON formatter writes them: every field
    has a mapping of its own (ids as keywords, numbers as numbers)."""
    properties = load_json(OPENSEARCH / "index-template.json")["template"]["mappings"]["properties"]
    formatter = JsonFormatter()
    access = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, "GET /x 200", None, None)
    for name, value in {
        "method": "GET",
        "route": "/api/v1/tasks",
        "status": 200,
        "duration_ms": 3.1,
        "request_id": "r1",
        "trace_id": "0" * 32,
        "span_id": "0" * 16,
        "team_id": "T1",
        "user_id": "U1",
        "slack_event_id": "Ev1",
        "api_key": "ab12cd34",
    }.items():
        setattr(access, name, value)
    try:
        raise ValueError("boom")
    except ValueError:
        failure = logging.LogRecord(
            "agent.runtime", logging.ERROR, __file__, 1, "x", None, sys.exc_info()
        )
    fields = set(json.loads(formatter.format(access))) | set(json.loads(formatter.format(failure)))
    assert fields - set(properties) == set()
    assert properties["status"]["type"] == "integer"
    assert properties["duration_ms"]["type"] == "float"
    for name in ("level", "logger", "request_id", "trace_id", "team_id", "route", "api_key"):
        assert properties[name]["type"] == "keyword", name


def test_the_cluster_tail_reads_taskpilots_containers_only() -> None:
    config = yaml.safe_load((K8S_LOGGING / "base" / "fluent-bit.yaml").read_text())
    [tail] = config["pipeline"]["inputs"]
    read = [
        "taskpilot-7d9f8-abcde_taskpilot_taskpilot-0123abcd.log",
        "taskpilot-worker-5c6-xyz_taskpilot-staging_worker-4567ef.log",
    ]
    skipped = [
        "coredns-5d78-abcde_kube-system_coredns-89ab.log",
        "fluent-bit-x1y2z_logging_fluent-bit-cdef.log",
    ]
    for name in read:
        assert fnmatch(f"/var/log/containers/{name}", tail["path"]), name
    for name in skipped:
        assert not fnmatch(f"/var/log/containers/{name}", tail["path"]), name


def test_the_compose_profile_loads_the_template_and_its_policy() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    logs = sorted(
        name for name, service in services.items() if "logs" in service.get("profiles", [])
    )
    assert logs == ["fluent-bit", "opensearch", "opensearch-dashboards", "opensearch-setup"]
    setup = " ".join(services["opensearch-setup"]["command"])
    for loaded in ("index-template.json", "ism-policy-local.json"):
        assert f"@/setup/{loaded}" in setup and (OPENSEARCH / loaded).is_file()
    config = yaml.safe_load((LOGGING / "fluent-bit.yaml").read_text())
    defined = {parser["name"] for parser in config["parsers"]}
    used = {
        step["parser"]
        for step in config["pipeline"]["inputs"] + config["pipeline"]["filters"]
        if "parser" in step
    }
    assert used <= defined
