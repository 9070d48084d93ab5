"""`/healthz` and `/readyz`: ready on a migrated database (SQLite and PostgreSQL), not ready,
naming the failing check and nothing secret, when migrations are missing or Redis is down."""

from __future__ import annotations

import socket
from pathlib import Path

import pydantic_ai.models
import pytest
from sqlalchemy import Engine, event, text

from core.db import DatabaseNotMigrated, ensure_migrated, make_engine, upgrade
from tests.api.support import open_harness

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


def _closed_port() -> int:
    # A port that was free a moment ago and that nothing listens on now.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_readyz_is_ready_on_a_migrated_database(engine: Engine) -> None:
    with open_harness(engine) as api:
        response = api.client.get("/readyz")
        assert api.client.get("/healthz").json() == {"status": "ok"}
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "redis": "skipped"},
    }


def test_readyz_is_not_ready_on_a_database_without_migrations(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with open_harness(engine) as api:
            response = api.client.get("/readyz")
            # The process itself is fine.
            assert api.client.get("/healthz").status_code == 200
    finally:
        engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["failing"] == ["migrations"]
    assert body["checks"]["database"] == "ok"
    assert "taskpilot db upgrade" in body["checks"]["migrations"]


def test_readyz_is_not_ready_when_redis_is_unreachable_and_hides_its_password(
    engine: Engine,
) -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{_closed_port()}/0"
    with open_harness(engine, REDIS_URL=url) as api:
        response = api.client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"].startswith("unreachable")
    assert body["checks"]["database"] == "ok"
    assert "hunter2" not in response.text and "127.0.0.1" not in response.text


def test_readyz_is_not_rate_limited(engine: Engine) -> None:
    with open_harness(engine, TASKPILOT_RATE_LIMIT_KEY="1/minute") as api:
        statuses = [api.client.get("/readyz").status_code for _ in range(5)]
        assert "ratelimit-limit" not in api.client.get("/readyz").headers
    assert statuses == [200] * 5


def _migrated_by_a_newer_version(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    return engine


@pytest.mark.parametrize("allowed", [False, True], ids=["strict", "allow-newer"])
def test_a_database_a_newer_version_migrated_is_ready_only_when_allowed(
    tmp_path: Path, allowed: bool
) -> None:
    engine = _migrated_by_a_newer_version(tmp_path / "newer.db")
    try:
        with open_harness(engine, TASKPILOT_ALLOW_NEWER_SCHEMA=allowed) as api:
            response = api.client.get("/readyz")
        with pytest.raises(DatabaseNotMigrated, match="newer version"):
            ensure_migrated(engine)
        if allowed:
            ensure_migrated(engine, allow_newer=True)
    finally:
        engine.dispose()
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 503
        assert "newer than this version" in response.json()["checks"]["migrations"]


def test_a_burst_of_probes_costs_the_database_one_query(engine: Engine) -> None:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        del conn, cursor, args
        if statement.strip().upper() == "SELECT 1":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with open_harness(engine) as api:
            answers = [api.client.get("/readyz") for _ in range(20)]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["status"] for answer in answers} == {"ready"}
    # A cache of a couple of seconds: a burst is answered from it, not by a query per probe.
    assert len(statements) < 5
