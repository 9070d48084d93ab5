"""`GET /metrics`: it parses as Prometheus text (and OpenMetrics with exemplars when asked),
and the series move by exactly what the server did: REST requests by route template, agent
turns with their tool calls, tokens and model calls, and rate-limit refusals. Multi-process
mode sums what several processes recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import select

from agent.turn_log import TurnRecord
from core.db import make_engine
from tests.api.support import ApiHarness, auth, open_harness
from tests.conftest import SeededTeam

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "taskpilot.db"
    path.write_bytes(_sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def api(sqlite_engine: Engine) -> Iterator[ApiHarness]:
    with open_harness(sqlite_engine) as harness:
        yield harness


def scrape(api: ApiHarness) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics by name and labels."""
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_rest_request_is_counted_under_its_route_template_not_its_path(
    api: ApiHarness,
) -> None:
    key = api.key()
    created = api.client.post("/api/v1/tasks", json={"title": "renew cert"}, headers=auth(key))
    assert created.status_code == 201, created.text
    number = created.json()["id"]
    route = "/api/v1/tasks/{task_id}"
    before = scrape(api)
    assert api.client.get(f"/api/v1/tasks/{number}", headers=auth(key)).status_code == 200
    assert api.client.get("/api/v1/tasks/99999", headers=auth(key)).status_code == 404
    assert api.client.get("/no/such/path").status_code == 404
    after = scrape(api)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "taskpilot_http_requests_total"
    assert moved(requests, method="GET", route=route, status="200") == 1
    assert moved(requests, method="GET", route=route, status="404") == 1
    assert moved(requests, method="GET", route="other", status="404") == 1
    duration = "taskpilot_http_request_duration_seconds_count"
    assert moved(duration, method="GET", route=route) == 2
    # No series names a raw path.
    assert not any(
        f"/api/v1/tasks/{number}" in dict(labels).get("route", "") for _, labels in after
    )
    # The scrape before this one was counted under its own route.
    assert moved(requests, method="GET", route="/metrics", status="200") == 1


def test_an_agent_turn_counts_the_turn_its_tool_calls_tokens_and_model_calls(
    engine: Engine, seeded_team: SeededTeam
) -> None:
    with open_harness(engine) as api:
        key = api.key(scopes=["agent:run", "agent:act_as", "tasks:read", "tasks:write"])
        before = scrape(api)
        response = api.client.post(
            "/api/v1/agent/turns",
            json={"user": "U0ALICE", "text": "remind bob to send the Q3 deck by friday"},
            headers=auth(key),
        )
        assert response.status_code == 200, response.text
        calls = response.json()["tool_calls"]
        assert [(call["tool"], call["ok"]) for call in calls] == [("create_task", True)]
        after = scrape(api)
        with api.session_factory() as session:
            (record,) = session.exec(select(TurnRecord)).all()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    turns = "taskpilot_agent_turns_total"
    assert moved(turns, model="offline", prompt_version="v3", outcome="ok") == 1
    assert moved("taskpilot_agent_turn_duration_seconds_count", model="offline") == 1
    assert moved("taskpilot_tool_calls_total", tool="create_task", outcome="ok") == 1
    assert moved("taskpilot_model_calls_total", model="offline", outcome="ok") == (
        record.model_calls
    )
    assert record.model_calls >= 1
    assert moved("taskpilot_tokens_total", model="offline", kind="input") == record.input_tokens
    assert moved("taskpilot_tokens_total", model="offline", kind="output") == (record.output_tokens)
    # The offline model is not a fallback when it is the whole chain, and costs nothing. (The
    # counters are the process's: other tests in it may have counted fallbacks before.)
    fallbacks = "taskpilot_model_fallbacks_total"
    assert {key: n for key, n in after.items() if key[0] == fallbacks} == {
        key: n for key, n in before.items() if key[0] == fallbacks
    }
    assert moved("taskpilot_cost_usd_total", model="offline") == 0


def test_a_rate_limited_request_is_counted_as_a_key_limit_rejection(
    sqlite_engine: Engine,
) -> None:
    with open_harness(sqlite_engine, TASKPILOT_RATE_LIMIT_KEY="1/minute") as api:
        key = api.key()
        before = scrape(api)
        assert api.client.get("/api/v1/tasks", headers=auth(key)).status_code == 200
        assert api.client.get("/api/v1/tasks", headers=auth(key)).status_code == 429
        # Neither /metrics nor the health checks count against the limit.
        for _ in range(3):
            assert api.client.get("/readyz").status_code == 200
        after = scrape(api)
    name = "taskpilot_rate_limit_rejections_total"
    labels = {"limit": "key", "surface": "api"}
    assert value(after, name, **labels) - value(before, name, **labels) == 1
    requests = "taskpilot_http_requests_total"
    limited = {"method": "GET", "route": "/api/v1/tasks", "status": "429"}
    assert value(after, requests, **limited) - value(before, requests, **limited) == 1
    ready = {"method": "GET", "route": "/readyz", "status": "200"}
    assert value(after, requests, **ready) - value(before, requests, **ready) == 3


def test_metrics_is_not_in_the_schema_and_build_info_is_one(api: ApiHarness) -> None:
    schema = api.client.get("/openapi.json").json()
    assert "/metrics" not in schema["paths"]
    assert "/readyz" in schema["paths"]
    samples = scrape(api)
    info = [
        (dict(labels), sample)
        for (name, labels), sample in samples.items()
        if name == "taskpilot_build_info"
    ]
    assert info == [({"version": "0.1.0", "environment": "development"}, 1.0)]


def test_openmetrics_scrape_carries_the_request_id_as_an_exemplar(api: ApiHarness) -> None:
    request_id = "metrics-exemplar-0001"
    assert api.client.get("/healthz", headers={"X-Request-ID": request_id}).status_code == 200
    response = api.client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    exemplars = [
        sample.exemplar.labels
        for family in openmetrics_families(response.text)
        if family.name == "taskpilot_http_request_duration_seconds"
        for sample in family.samples
        if sample.exemplar is not None and sample.labels.get("route") == "/healthz"
    ]
    assert {"request_id": request_id} in exemplars


_WRITER = """
import sys
from core.metrics import count_duplicate_delivery, observe_http_request, set_build_info
for _ in range(int(sys.argv[1])):
    count_duplicate_delivery()
    observe_http_request(method="GET", route="/healthz", status=200, seconds=0.01)
set_build_info(version="9.9.9", environment="test")
"""

_READER = """
from core.metrics import render
body, content_type = render(None)
print(body.decode())
"""


def test_multiprocess_mode_sums_what_every_process_recorded(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    for count in ("2", "3"):
        subprocess.run([sys.executable, "-c", _WRITER, count], env=env, check=True)
    read = subprocess.run(
        [sys.executable, "-c", _READER], env=env, check=True, capture_output=True, text=True
    )
    samples = {
        (sample.name, json.dumps(sample.labels, sort_keys=True)): sample.value
        for family in text_string_to_metric_families(read.stdout)
        for sample in family.samples
    }
    assert samples[("taskpilot_slack_duplicate_deliveries_total", "{}")] == 5
    healthz = json.dumps({"method": "GET", "route": "/healthz", "status": "200"}, sort_keys=True)
    assert samples[("taskpilot_http_requests_total", healthz)] == 5
    info = json.dumps({"environment": "test", "version": "9.9.9"}, sort_keys=True)
    # Both writers have exited: their live gauges are kept until marked dead.
    assert samples[("taskpilot_build_info", info)] == 1


@pytest.mark.parametrize(
    ("settings", "headers", "status"),
    [
        ({}, {}, 200),
        ({"TASKPILOT_ENVIRONMENT": "production"}, {}, 404),
        ({"TASKPILOT_METRICS_TOKEN": "scrape-me"}, {}, 401),
        ({"TASKPILOT_METRICS_TOKEN": "scrape-me"}, {"Authorization": "Bearer wrong"}, 401),
        ({"TASKPILOT_METRICS_TOKEN": "scrape-me"}, {"Authorization": "Basic c2NyYXBlLW1l"}, 401),
        ({"TASKPILOT_METRICS_TOKEN": "scrape-me"}, {"Authorization": "Bearer scrape-me"}, 200),
        (
            {"TASKPILOT_ENVIRONMENT": "production", "TASKPILOT_METRICS_TOKEN": "scrape-me"},
            {"Authorization": "bearer scrape-me"},
            200,
        ),
    ],
    ids=[
        "development-open",
        "production-off-without-a-token",
        "token-missing",
        "token-wrong",
        "not-bearer",
        "token-right",
        "production-with-token",
    ],
)
def test_metrics_are_read_only_with_the_token_when_one_is_set(
    sqlite_engine: Engine, settings: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    """Outside production `/metrics` is open unless a token is set; in production it is off
    until TASKPILOT_METRICS_TOKEN is set, and then only a scraper sending it reads it."""
    with open_harness(sqlite_engine, **settings) as harness:
        response = harness.client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert "taskpilot_build_info" in response.text
    else:
        assert "taskpilot_" not in response.text
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
