"""One log line per HTTP request, through the real app: what happened (method, the route's
template, status, duration) and whose it was (request id, team, key prefix), never the body,
the query or the key itself."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.db import make_engine
from core.logs import JsonFormatter
from tests.api.support import ApiHarness, auth, open_harness

ACCESS = "taskpilot.access"


@pytest.fixture
def api(tmp_path: Path, _sqlite_template: Path) -> Iterator[ApiHarness]:
    path = tmp_path / "taskpilot.db"
    path.write_bytes(_sqlite_template.read_bytes())
    engine: Engine = make_engine(f"sqlite:///{path}")
    with open_harness(engine) as harness:
        yield harness
    engine.dispose()


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The access records as the JSON log lines they become."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == ACCESS]


def test_a_rest_request_leaves_one_line_with_its_ids_and_no_secrets(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    key = api.key()
    secret_title = "Quarterly numbers for the board"
    made = api.client.post(
        "/api/v1/tasks?note=private",
        json={"title": secret_title},
        headers={**auth(key), "X-Request-ID": "req-access-1"},
    )
    assert made.status_code == 201
    [line] = access_lines(caplog)
    assert line["method"] == "POST"
    assert line["route"] == "/api/v1/tasks"
    assert line["status"] == 201
    assert isinstance(line["duration_ms"], float | int) and line["duration_ms"] >= 0
    assert line["request_id"] == "req-access-1"
    assert line["team_id"] == "T0TEAM"
    assert line["api_key"] == key.split("_")[1]
    text = json.dumps(line)
    assert secret_title not in text and "private" not in text and key not in text


def test_ids_in_paths_stay_out_and_failures_are_logged_too(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    missing = api.client.get("/api/v1/tasks/424242", headers=auth(api.key()))
    assert missing.status_code == 404
    unauthenticated = api.client.get("/api/v1/tasks")
    assert unauthenticated.status_code == 401
    first, second = access_lines(caplog)
    assert (first["route"], first["status"]) == ("/api/v1/tasks/{task_id}", 404)
    assert "424242" not in json.dumps(first)
    assert (second["route"], second["status"]) == ("/api/v1/tasks", 401)
    assert "api_key" not in second and "team_id" not in second


def test_probes_and_scrapes_are_quiet_unless_asked_for(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=ACCESS)
    for path in ("/healthz", "/metrics"):
        assert api.client.get(path).status_code == 200
    records = [r for r in caplog.records if r.name == ACCESS]
    assert [r.levelno for r in records] == [logging.DEBUG, logging.DEBUG]
