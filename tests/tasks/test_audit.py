"""Reading the audit log: filters, paging by id, team scoping and the public record.

Every test here runs on SQLite and on PostgreSQL (see the `engine` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from tasks.api_keys import ApiKeyService
from tasks.audit import audit_record, list_audit
from tasks.errors import InvalidTaskInput
from tasks.models import AuditAction
from tasks.service import TaskService
from tests.conftest import SeededTeam, SessionFactory

START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


class Clock:
    """A clock that moves one minute each time it is read."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def session(session_factory: SessionFactory, seeded_team: SeededTeam) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def history(session: Session, seeded_team: SeededTeam) -> None:
    """Five tasks in the team (alice makes 1-3, bob 4-5, then alice finishes #1), one task in
    the other team, and a key created in the team."""
    clock = Clock()
    alice = TaskService(
        session, team_id=seeded_team.team_id, actor_id=seeded_team.alice, source="slack",
        clock=clock, request_id="req-a",
    )  # fmt: skip
    bob = TaskService(
        session, team_id=seeded_team.team_id, actor_id=seeded_team.bob, source="api", clock=clock
    )
    erin = TaskService(
        session, team_id=seeded_team.other_team_id, actor_id=seeded_team.erin, source="slack",
        clock=clock,
    )  # fmt: skip
    for title in ("one", "two", "three"):
        alice.create_task(title=title)
    for title in ("four", "five"):
        bob.create_task(title=title)
    erin.create_task(title="the other team's task")
    alice.update_task(number=1, status="done")
    ApiKeyService(session, actor_id="cli:root", source="cli", clock=clock).create(
        team_id=seeded_team.team_id, name="CI", scopes=["audit:read"], expires_in=None
    )
    session.commit()


@pytest.mark.usefixtures("history")
def test_pages_cover_every_event_of_the_team_once_in_order(
    session: Session, seeded_team: SeededTeam
) -> None:
    seen: list[int] = []
    after: int | None = None
    pages = 0
    while True:
        page = list_audit(session, team_id=seeded_team.team_id, after_id=after, limit=3)
        if not page:
            break
        pages += 1
        seen.extend(e.id for e in page if e.id is not None)
        after = page[-1].id
    assert pages == 3
    assert len(seen) == 7 and seen == sorted(seen) and len(set(seen)) == 7
    everything = list_audit(session, team_id=seeded_team.team_id, limit=1000)
    assert [e.id for e in everything] == seen
    assert all(e.team_id == seeded_team.team_id for e in everything)


@pytest.mark.usefixtures("history")
def test_another_team_sees_only_its_own_events(session: Session, seeded_team: SeededTeam) -> None:
    theirs = list_audit(session, team_id=seeded_team.other_team_id)
    assert [(e.action, e.changes["title"][1]) for e in theirs] == [
        (AuditAction.create, "the other team's task")
    ]
    assert list_audit(session, team_id="T0NOBODY") == []


@pytest.mark.usefixtures("history")
def test_filters_narrow_the_log(session: Session, seeded_team: SeededTeam) -> None:
    team = seeded_team.team_id
    by_bob = list_audit(session, team_id=team, actor_id=seeded_team.bob)
    assert [e.task_number for e in by_bob] == [4, 5]
    updates = list_audit(session, team_id=team, action="update")
    assert [(e.task_number, e.changes) for e in updates] == [(1, {"status": ["open", "done"]})]
    assert [e.action for e in list_audit(session, team_id=team, task_number=1)] == [
        AuditAction.create,
        AuditAction.update,
    ]
    keys = list_audit(session, team_id=team, action=AuditAction.key_created)
    assert [e.actor_id for e in keys] == ["cli:root"]
    # `since` is inclusive and `until` exclusive; a time without a zone is read as UTC.
    events = list_audit(session, team_id=team)
    window = list_audit(
        session, team_id=team, since=events[1].created_at, until=events[3].created_at
    )
    assert [e.task_number for e in window] == [2, 3]
    last = events[-1].created_at.astimezone(UTC).replace(tzinfo=None)
    naive = list_audit(session, team_id=team, since=last)
    assert [e.action for e in naive] == [AuditAction.key_created]


def test_bad_filters_are_explained(session: Session, seeded_team: SeededTeam) -> None:
    with pytest.raises(InvalidTaskInput, match="not an audit action; use one of create"):
        list_audit(session, team_id=seeded_team.team_id, action="explode")
    with pytest.raises(InvalidTaskInput, match="between 1 and 1000"):
        list_audit(session, team_id=seeded_team.team_id, limit=0)


@pytest.mark.usefixtures("history")
def test_the_public_record_of_task_and_key_events(
    session: Session, seeded_team: SeededTeam
) -> None:
    events = list_audit(session, team_id=seeded_team.team_id)
    first = audit_record(events[0])
    assert first == {
        "id": events[0].id,
        # The clock is read for the task, then for its event.
        "at": (START + timedelta(minutes=2)).isoformat(),
        "team": seeded_team.team_id,
        "actor": seeded_team.alice,
        "action": "create",
        "task": 1,
        "subject": None,
        "changes": first["changes"],
        "source": "slack",
        "request_id": "req-a",
        "api_key": None,
    }
    assert first["changes"]["title"] == [None, "one"]
    key = audit_record(events[-1])
    assert (key["action"], key["task"], key["source"]) == ("key_created", None, "cli")
    assert key["subject"] is not None and len(key["subject"]) == 8
