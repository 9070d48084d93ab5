"""The REST API on a migrated database, with keys made by `ApiKeyService`, for the API tests.

Test modules build an `ApiHarness` in a fixture of their own with `open_harness(engine)`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import select

from api.auth import ApiContext
from api.problems import PROBLEM_MEDIA_TYPE
from core.db import make_session_factory
from core.settings import Settings
from taskpilot.server import create_app
from tasks.api_keys import SCOPES, ApiKeyService
from tasks.models import Task
from tests.conftest import SessionFactory

ALL_SCOPES: tuple[str, ...] = SCOPES
TEAM = "T0TEAM"
OTHER_TEAM = "T0OTHER"


def api_settings(**values: object) -> Settings:
    """Settings for a test server: no Slack, the offline model."""
    base: dict[str, object] = {
        "DATABASE_URL": "sqlite:///:memory:",
        "TASKPILOT_MODELS": "offline",
        "TASKPILOT_TIMEZONE": "America/New_York",
        "SLACK_SIGNING_SECRET": None,
        "SLACK_BOT_TOKEN": None,
        "SLACK_CLIENT_ID": None,
        "SLACK_CLIENT_SECRET": None,
    }
    base.update(values)
    return Settings.model_validate(base)


@dataclass
class ApiHarness:
    """A running test server and the database behind it."""

    client: TestClient
    session_factory: SessionFactory
    context: ApiContext

    def key(
        self,
        *,
        team: str = TEAM,
        scopes: Sequence[str] = ALL_SCOPES,
        expires_in: timedelta | None = None,
        member: str | None = None,
    ) -> str:
        """A new API key of `team` with `scopes` (the whole secret), bound to `member` when
        given."""
        with self.session_factory() as session, session.begin():
            service = ApiKeyService(session, actor_id="cli:test", source="cli")
            new = service.create(
                team_id=team,
                name="test",
                scopes=list(scopes),
                expires_in=expires_in,
                member_id=member,
            )
            return new.key

    def tasks_of(self, team: str = TEAM) -> list[Task]:
        """The team's tasks straight from the database, by number."""
        with self.session_factory() as session:
            rows = session.exec(select(Task).where(Task.team_id == team)).all()
            return sorted(rows, key=lambda task: task.number)


PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The body of `response`, checked to be an RFC 9457 problem with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert str(body["type"]).startswith("urn:taskpilot:problem:")
    return body


def auth(key: str) -> dict[str, str]:
    """The headers that present `key`."""
    return {"Authorization": f"Bearer {key}"}


@contextmanager
def open_harness(
    engine: Engine, *, raise_server_exceptions: bool = True, **settings: object
) -> Iterator[ApiHarness]:
    """The app on `engine` with a started lifespan."""
    session_factory = make_session_factory(engine)
    context = ApiContext(settings=api_settings(**settings), session_factory=session_factory)
    app = create_app(context.settings, api=context)
    with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
        yield ApiHarness(client=client, session_factory=session_factory, context=context)


def create_task(api: ApiHarness, key: str, **body: Any) -> dict[str, Any]:
    """POST a task (title "A task" unless given) with `key`; its public JSON (201 asserted)."""
    response = api.client.post("/api/v1/tasks", json={"title": "A task", **body}, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()
