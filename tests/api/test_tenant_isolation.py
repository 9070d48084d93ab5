"""Property: no sequence of requests made with team A's keys reads or changes team B's tasks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import make_engine, upgrade
from tests.api.support import ALL_SCOPES, OTHER_TEAM, TEAM, ApiHarness, auth, open_harness

pytestmark = pytest.mark.slow

SECRET = "b-team-secret"

ids = st.integers(min_value=-5, max_value=12) | st.sampled_from([0, 2**31 - 1, 2**31, 10**12])
titles = st.text(min_size=1, max_size=30).filter(lambda text: text.strip() != "")
operations = st.one_of(
    st.tuples(st.just("create"), titles),
    st.tuples(st.just("get"), ids),
    st.tuples(st.just("patch"), ids, titles),
    st.tuples(st.just("delete"), ids),
    st.tuples(st.just("assign"), ids, st.sampled_from(["U0BOB", "me", "<@U0BOB>", "nobody"])),
    st.tuples(st.just("list"), st.sampled_from(["open", "done", "all"])),
    st.tuples(st.just("stats"), st.just(4)),
    st.tuples(st.just("audit"), st.just(50)),
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiHarness]:
    path: Path = tmp_path_factory.mktemp("tenants") / "taskpilot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    try:
        with open_harness(
            engine, DATABASE_URL=f"sqlite:///{path}", TASKPILOT_RATE_LIMIT_KEY="100000/minute"
        ) as api:
            b_key = api.key(team=OTHER_TEAM, scopes=ALL_SCOPES)
            for n in range(1, 6):
                created = api.client.post(
                    "/api/v1/tasks", json={"title": f"{SECRET} {n}"}, headers=auth(b_key)
                )
                assert created.status_code == 201, created.text
            yield api
    finally:
        engine.dispose()


def _b_snapshot(harness: ApiHarness) -> list[tuple[Any, ...]]:
    return [
        (task.number, task.title, task.status, task.assignee_id, task.due_at, task.updated_at)
        for task in harness.tasks_of(OTHER_TEAM)
    ]


def _send(harness: ApiHarness, key: str, operation: tuple[Any, ...]) -> Any:
    client, headers = harness.client, auth(key)
    kind = operation[0]
    if kind == "create":
        return client.post("/api/v1/tasks", json={"title": operation[1]}, headers=headers)
    if kind == "get":
        return client.get(f"/api/v1/tasks/{operation[1]}", headers=headers)
    if kind == "patch":
        return client.patch(
            f"/api/v1/tasks/{operation[1]}", json={"title": operation[2]}, headers=headers
        )
    if kind == "delete":
        return client.delete(f"/api/v1/tasks/{operation[1]}", headers=headers)
    if kind == "assign":
        return client.post(
            f"/api/v1/tasks/{operation[1]}/assign",
            json={"assignee": operation[2]},
            headers=headers,
        )
    if kind == "list":
        status = [] if operation[1] == "all" else [operation[1]]
        return client.get("/api/v1/tasks", params={"status": status}, headers=headers)
    if kind == "stats":
        return client.get("/api/v1/stats", params={"weeks": operation[1]}, headers=headers)
    return client.get("/api/v1/audit", params={"limit": operation[1]}, headers=headers)


@given(steps=st.lists(operations, min_size=1, max_size=12))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_team_a_never_reads_or_changes_team_b(
    harness: ApiHarness, steps: list[tuple[Any, ...]]
) -> None:
    a_key = harness.key(team=TEAM, scopes=ALL_SCOPES)
    before = _b_snapshot(harness)
    for step in steps:
        response = _send(harness, a_key, step)
        assert response.status_code < 500, (step, response.text)
        assert SECRET not in json.dumps(response.json()) if response.content else True, step
    assert _b_snapshot(harness) == before
