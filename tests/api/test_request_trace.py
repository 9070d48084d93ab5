"""Without a span exporter the server makes no span per request or query, yet the work of a
request still carries one trace id and its request id (into the worker thread that reads the
database), and FastAPI's own telemetry stays off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

import api.routes_tasks
from api.auth import Principal
from core import tracing
from core.context import current_ids
from taskpilot.server import framework_telemetry
from tasks.service import TaskService
from tests.api.support import ApiHarness, auth, open_harness
from tests.conftest import SeededTeam

TASKS = "/api/v1/tasks"


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The ids bound where each listing's database work runs."""
    ids: list[dict[str, str]] = []
    real = api.routes_tasks.service_for

    def spying(session: Session, principal: Principal, request: Any, *, write: bool) -> TaskService:
        ids.append(current_ids())
        return real(session, principal, request, write=write)

    monkeypatch.setattr(api.routes_tasks, "service_for", spying)
    return ids


@pytest.fixture
def traced(
    engine: Engine, seeded_team: SeededTeam, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ApiHarness]:
    """The app as `taskpilot serve` builds it when tracing is set up but exports nothing."""
    monkeypatch.setattr(
        tracing,
        "_state",
        {
            "configured": True,
            "message_text": False,
            "exported": False,
            "sqlalchemy": False,
            "agent": False,
        },
    )
    with open_harness(engine) as harness:
        yield harness


def test_without_an_exporter_framework_telemetry_is_off(traced: ApiHarness) -> None:
    assert framework_telemetry() == {
        "tracing": False,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
    }
    app = traced.client.app
    assert isinstance(app, FastAPI)
    assert tracing.RequestTraceMiddleware in [m.cls for m in app.user_middleware]


def test_a_requests_database_work_carries_its_trace_and_request_ids(
    traced: ApiHarness, seen: list[dict[str, str]]
) -> None:
    key = traced.key()
    first = traced.client.get(TASKS, headers=auth(key))
    second = traced.client.get(TASKS, headers=auth(key))
    assert first.status_code == second.status_code == 200
    assert [ids["request_id"] for ids in seen] == [
        first.headers["x-request-id"],
        second.headers["x-request-id"],
    ]
    for ids in seen:
        assert len(ids["trace_id"]) == 32 and int(ids["trace_id"], 16) != 0
        assert len(ids["span_id"]) == 16 and int(ids["span_id"], 16) != 0
    assert seen[0]["trace_id"] != seen[1]["trace_id"]


def test_a_callers_traceparent_names_the_trace(
    traced: ApiHarness, seen: list[dict[str, str]]
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {**auth(traced.key()), "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    assert traced.client.get(TASKS, headers=headers).status_code == 200
    assert seen[0]["trace_id"] == trace_id
