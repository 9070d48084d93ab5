"""The task service tests' usual harness: a session on the test database (SQLite and
PostgreSQL) with the seeded team, and services on it whose clock moves a minute per read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from tasks.service import TaskService
from tests.conftest import SeededTeam, SessionFactory

MakeService = Callable[..., TaskService]


class Clock:
    """A clock that moves one minute each time it is read."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def session(session_factory: SessionFactory, seeded_team: SeededTeam) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def make_service(session: Session, seeded_team: SeededTeam) -> MakeService:
    clock = Clock()

    def make(actor: str = "U0ALICE", *, team: str | None = None) -> TaskService:
        return TaskService(
            session,
            team_id=team or seeded_team.team_id,
            actor_id=actor,
            source="test",
            clock=clock,
        )

    return make
