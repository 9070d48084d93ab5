"""`TaskService.list_task_rows`: the same tasks as `list_tasks`, in the same order, as rows
whose public record is the same as the task's.

Every test here runs on SQLite and on PostgreSQL (see the `engine` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from tasks.cards import task_record
from tasks.due_dates import resolve_due
from tasks.errors import InvalidTaskInput
from tasks.models import TaskRow
from tasks.service import TaskService
from tests.conftest import SeededTeam
from tests.tasks.conftest import MakeService

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NY)  # a Wednesday


@pytest.fixture
def board(make_service: MakeService, session: Session, seeded_team: SeededTeam) -> TaskService:
    """Tasks with and without every optional field, and another team's look-alikes."""
    alice = make_service()
    alice.create_task(
        title="Send the Q3 deck",
        description="Slides 1-12, with the revenue chart.",
        assignee_id="U0BOB",
        due=resolve_due("friday 5pm", now=NOW),
        priority="high",
        tags=["#Finance", "q3"],
    )  # 1: every field, due at a time in New York
    alice.create_task(title="Bare")  # 2: no description, assignee, due date or tags
    alice.create_task(
        title="All day in Tokyo",
        due=resolve_due("2026-12-03", now=NOW.astimezone(TOKYO)),
        tags=["ops"],
    )  # 3: all-day, given in Tokyo
    alice.create_task(
        title='Quotes "and" ünïcödé',
        description="",
        due=resolve_due("tomorrow 9am", now=NOW.astimezone(UTC)),
        assignee_id="U0ALICE",
    )  # 4: an empty description, due in UTC
    done = alice.create_task(title="Done one", priority="low", tags=["ops", "q3"])  # 5
    alice.update_task(number=done.number, status="done")
    alice.create_task(title="Cancelled", due=resolve_due("yesterday", now=NOW))  # 6
    alice.update_task(number=6, status="cancelled")
    other = make_service("U0ERIN", team=seeded_team.other_team_id)
    other.create_task(title="Send the Q3 deck", tags=["q3", "ops"], assignee_id="U0ERIN")
    other.create_task(title="Their bare one")
    session.commit()
    return alice


FILTERS: list[dict[str, Any]] = [
    {},
    {"limit": None},
    {"limit": 2},
    {"order": "number", "limit": None},
    {"order": "number", "after_number": 2, "limit": 3},
    {"order": "number", "after_number": 2**31 - 1},
    {"assignee_id": "U0BOB"},
    {"unassigned": True, "order": "number"},
    {"creator_id": "U0ALICE", "limit": None},
    {"status": "done"},
    {"status": ["open", "in_progress"], "order": "number"},
    {"status": []},
    {"priority": "high"},
    {"tag": "#FINANCE"},
    {"tag": "ops", "order": "number"},
    {"query": "q3 DECK"},
    {"due_before": datetime(2026, 11, 28, tzinfo=UTC)},
    {"due_after": datetime(2026, 11, 26, tzinfo=UTC), "order": "number"},
    {"overdue_at": NOW + timedelta(days=30)},
]


@pytest.mark.parametrize("filters", FILTERS, ids=[repr(f) for f in FILTERS])
def test_rows_are_the_tasks_list_tasks_returns_with_the_same_records(
    board: TaskService, filters: dict[str, Any]
) -> None:
    tasks = board.list_tasks(**filters)
    rows = board.list_task_rows(**filters)
    assert all(isinstance(row, TaskRow) for row in rows)
    assert [row.number for row in rows] == [task.number for task in tasks]
    assert [task_record(row) for row in rows] == [task_record(task) for task in tasks]


def test_a_row_holds_every_public_field_of_its_task(board: TaskService) -> None:
    (row,) = board.list_task_rows(order="number", limit=1)
    assert task_record(row) == {
        "id": 1,
        "title": "Send the Q3 deck",
        "description": "Slides 1-12, with the revenue chart.",
        "status": "open",
        "priority": "high",
        "assignee": "U0BOB",
        "creator": "U0ALICE",
        "due": "2026-11-27T17:00:00-05:00",
        "tags": ["finance", "q3"],
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    assert row.created_at.tzinfo is not None
    bare, all_day = board.list_task_rows(order="number", after_number=1, limit=2)
    assert (bare.description, bare.assignee_id, bare.due_at, bare.tags) == (None, None, None, [])
    assert task_record(bare)["due"] is None
    # An all-day task reads as the day it was given for, in the zone it was given in.
    assert task_record(all_day)["due"] == "2026-12-03"


def test_another_teams_tasks_never_appear(
    board: TaskService, make_service: MakeService, seeded_team: SeededTeam
) -> None:
    mine = board.list_task_rows(limit=None)
    assert len(mine) == 6
    assert {row.title for row in board.list_task_rows(query="their", limit=None)} == set()
    theirs = make_service("U0ERIN", team=seeded_team.other_team_id).list_task_rows(limit=None)
    assert sorted(row.title for row in theirs) == ["Send the Q3 deck", "Their bare one"]
    assert [row.number for row in theirs] == [2, 1]
    # A team with no tasks sees none, whatever the filters.
    empty = make_service(team="T0NOBODY")
    assert empty.list_task_rows(limit=None) == []
    assert empty.list_task_rows(tag="q3", order="number", after_number=0) == []


def test_paging_by_number_visits_every_task_once(board: TaskService) -> None:
    seen: list[int] = []
    after = 0
    while True:
        page = board.list_task_rows(order="number", after_number=after, limit=2)
        if not page:
            break
        seen.extend(row.number for row in page)
        after = page[-1].number
    assert seen == [1, 2, 3, 4, 5, 6]


def test_a_limit_below_one_is_refused(board: TaskService) -> None:
    with pytest.raises(InvalidTaskInput):
        board.list_task_rows(limit=0)


def test_changes_not_yet_flushed_are_seen(board: TaskService, session: Session) -> None:
    task = board.get_task(number=2)
    task.title = "Renamed, not flushed"
    assert [row.title for row in board.list_task_rows(order="number", after_number=1, limit=1)] == [
        "Renamed, not flushed"
    ]
