"""TaskService as people meet it: numbers, permissions, teams, limits and the audit trail.

Every test here runs on SQLite and on PostgreSQL (see the `engine` fixture).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, inspect
from sqlmodel import Session, col, func, select

from tasks.cards import task_card, task_cards, task_record
from tasks.due_dates import parse_due_shift, resolve_due
from tasks.errors import (
    InvalidTaskInput,
    PermissionDenied,
    TaskError,
    TaskNotFound,
    UnknownUser,
)
from tasks.models import AuditAction, AuditEvent, Task, TaskPriority, TaskStatus
from tasks.service import TaskService
from tests.conftest import SeededTeam, SessionFactory
from tests.tasks.conftest import MakeService

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=NY)  # a Wednesday


def count(session: Session, model: type[Task] | type[AuditEvent]) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def events(session: Session, *, team: str = "T0TEAM") -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.team_id == team).order_by(col(AuditEvent.id))
    return list(session.exec(statement).all())


def numbers(tasks: list[Task]) -> list[int]:
    return [task.number for task in tasks]


# Creating and numbering.


def test_numbers_count_up_per_team(make_service: MakeService, seeded_team: SeededTeam) -> None:
    alice = make_service()
    assert [alice.create_task(title=f"Task {i}").number for i in range(3)] == [1, 2, 3]
    other = make_service("U0ERIN", team=seeded_team.other_team_id)
    assert other.create_task(title="Their first").number == 1
    assert alice.create_task(title="Task 4").number == 4


def test_create_fills_in_every_field(make_service: MakeService, session: Session) -> None:
    due = resolve_due("friday 5pm", now=NOW)
    task = make_service().create_task(
        title="  Send the Q3 deck  ",
        description="Slides 1-12, with the revenue chart.",
        assignee_id="U0BOB",
        due=due,
        priority="high",
        tags=["#Finance", "q3"],
        source_channel="C0GENERAL",
        source_thread="1700000000.000100",
    )
    session.commit()
    session.expire_all()
    stored = session.exec(select(Task).where(Task.number == task.number)).one()
    assert stored.title == "Send the Q3 deck"
    assert stored.creator_id == "U0ALICE"
    assert stored.assignee_id == "U0BOB"
    assert stored.status is TaskStatus.open
    assert stored.priority is TaskPriority.high
    assert stored.tags == ["finance", "q3"]
    assert stored.due_at == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    assert stored.due_at is not None and stored.due_at.tzinfo == UTC
    assert (stored.due_all_day, stored.due_tz) == (False, "America/New_York")
    assert (stored.source_channel, stored.source_thread) == ("C0GENERAL", "1700000000.000100")
    assert stored.created_at.tzinfo == UTC


def test_create_writes_an_audit_event(make_service: MakeService, session: Session) -> None:
    task = make_service().create_task(
        title="Call the bank", due=resolve_due("friday", now=NOW), tags=["money"]
    )
    [event] = events(session)
    assert (event.action, event.task_number, event.actor_id, event.source) == (
        AuditAction.create,
        task.number,
        "U0ALICE",
        "test",
    )
    assert event.changes["title"] == [None, "Call the bank"]
    assert event.changes["due"] == [None, "2026-11-27"]
    assert event.changes["tags"] == [None, ["money"]]
    assert event.changes["status"] == [None, "open"]


def test_a_1000_character_title_is_refused_and_nothing_is_written(
    make_service: MakeService, session: Session
) -> None:
    with pytest.raises(InvalidTaskInput) as raised:
        make_service().create_task(title="x" * 1000)
    assert str(raised.value) == (
        "The title is 1000 characters long, but a title can have at most 200. "
        "Shorten it and put the details in the description."
    )
    assert count(session, Task) == 0
    assert count(session, AuditEvent) == 0


def test_title_limits(make_service: MakeService) -> None:
    service = make_service()
    assert len(service.create_task(title="y" * 200).title) == 200
    assert service.create_task(title=" " * 50 + "z" * 200 + "\n").title == "z" * 200
    with pytest.raises(InvalidTaskInput, match="at most 200"):
        service.create_task(title="y" * 201)
    with pytest.raises(InvalidTaskInput, match="needs a title"):
        service.create_task(title="   \n ")


def test_description_and_tag_limits(make_service: MakeService) -> None:
    service = make_service()
    with pytest.raises(InvalidTaskInput, match="at most 4000"):
        service.create_task(title="Long", description="d" * 4001)
    assert service.create_task(title="Fits", description="d" * 4000).description == "d" * 4000
    with pytest.raises(InvalidTaskInput, match="at most 10 tags, not 11"):
        service.create_task(title="Tags", tags=[f"t{i}" for i in range(11)])
    with pytest.raises(InvalidTaskInput, match="tags can have at most 40"):
        service.create_task(title="Tags", tags=["a" * 41])
    task = service.create_task(title="Tags", tags=["#Launch", "launch", " #Q3 ", "", "#"])
    assert task.tags == ["launch", "q3"]


def test_sql_and_slack_markup_are_stored_verbatim(
    make_service: MakeService, session: Session, engine: Engine
) -> None:
    titles = [
        "Robert'); DROP TABLE tasks;--",
        "<!channel> *ship it* <@U0BOB> `rm -rf /` <https://example.com|link>",
        "100% of 'quotes' \"and\" back\\slashes _under_",
    ]
    service = make_service()
    for title in titles:
        service.create_task(title=title, description=f"{title}\n-- comment")
    session.commit()
    session.expire_all()
    stored = [task.title for task in sorted(service.list_tasks(limit=None), key=lambda t: t.number)]
    assert stored == titles
    session.commit()
    assert "tasks" in inspect(engine).get_table_names()
    # LIKE wildcards in a search are plain characters.
    assert numbers(service.list_tasks(query="100%")) == [3]
    assert numbers(service.list_tasks(query="_under_")) == [3]
    assert service.list_tasks(query="%") == [service.get_task(number=3)]


def test_assignees_must_be_active_people_of_the_team(
    make_service: MakeService, session: Session
) -> None:
    service = make_service()
    with pytest.raises(UnknownUser, match="U0NOBODY"):
        service.create_task(title="Ghost work", assignee_id="U0NOBODY")
    with pytest.raises(UnknownUser, match="deactivated"):
        service.create_task(title="Dave's work", assignee_id="U0DAVE")
    with pytest.raises(UnknownUser, match="bot"):
        service.create_task(title="Bot work", assignee_id="B0BOT")
    with pytest.raises(UnknownUser):
        service.create_task(title="Erin is elsewhere", assignee_id="U0ERIN")
    assert count(session, Task) == 0
    # Ids are matched without regard to case and stored as the directory has them.
    assert service.create_task(title="Bob's", assignee_id="u0bob").assignee_id == "U0BOB"


def test_the_service_never_commits(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    with session_factory() as session:
        TaskService(
            session, team_id=seeded_team.team_id, actor_id="U0ALICE", source="test"
        ).create_task(title="Uncommitted")
        session.rollback()
    with session_factory() as session:
        assert count(session, Task) == 0
        assert count(session, AuditEvent) == 0


def test_numbers_of_deleted_tasks_are_not_given_out_again(make_service: MakeService) -> None:
    service = make_service()
    for title in ("One", "Two", "Three"):
        service.create_task(title=title)
    service.delete_task(number=3)
    assert service.create_task(title="Four").number == 4


def test_seed_task_places_a_number(make_service: MakeService, session: Session) -> None:
    service = make_service()
    seeded = service.seed_task(
        number=7,
        title="Call the bank",
        assignee_id="U0BOB",
        status="in_progress",
        priority="urgent",
        due_at=datetime(2026, 11, 27, 17, 0, tzinfo=NY),
    )
    assert (seeded.number, seeded.status, seeded.priority) == (
        7,
        TaskStatus.in_progress,
        TaskPriority.urgent,
    )
    assert seeded.creator_id == "U0ALICE"
    assert service.create_task(title="Next").number == 8
    with pytest.raises(InvalidTaskInput, match="Task #7 already exists"):
        service.seed_task(number=7, title="Again")
    assert [e.action for e in events(session)] == [AuditAction.create, AuditAction.create]


# Reading, and other teams.


def test_missing_task_message(make_service: MakeService) -> None:
    with pytest.raises(TaskNotFound) as raised:
        make_service().get_task(number=42)
    assert str(raised.value) == "There is no task #42 in this workspace."


def test_other_teams_cannot_see_or_touch_a_task(
    make_service: MakeService, seeded_team: SeededTeam, session: Session
) -> None:
    make_service().create_task(title="Team A secret", assignee_id="U0BOB")
    # Alice is in both teams, so even the creator's id cannot reach across.
    for actor in ("U0ERIN", "U0ALICE"):
        outsider = make_service(actor, team=seeded_team.other_team_id)
        attempts: list[Callable[[TaskService], Any]] = [
            lambda s: s.get_task(number=1),
            lambda s: s.update_task(number=1, title="Pwned"),
            lambda s: s.update_task(number=1, status=TaskStatus.done),
            lambda s: s.assign_task(number=1, assignee_id=None),
            lambda s: s.delete_task(number=1),
            lambda s: s.check_can_delete(number=1),
        ]
        for attempt in attempts:
            with pytest.raises(TaskNotFound) as raised:
                attempt(outsider)
            # The same words as for a number that exists nowhere.
            assert str(raised.value) == "There is no task #1 in this workspace."
        assert outsider.list_tasks() == []
        assert outsider.list_tasks(query="secret") == []
    task = make_service().get_task(number=1)
    assert (task.title, task.status) == ("Team A secret", TaskStatus.open)
    assert len(events(session, team=seeded_team.team_id)) == 1
    assert events(session, team=seeded_team.other_team_id) == []


# Permissions.


def test_anyone_may_change_an_unassigned_task(make_service: MakeService) -> None:
    make_service("U0ALICE").create_task(title="Water the plants")
    carol = make_service("U0CAROL")
    assert carol.update_task(number=1, priority="high").priority is TaskPriority.high
    assert carol.assign_task(number=1, assignee_id="U0CAROL").assignee_id == "U0CAROL"


def test_only_creator_or_assignee_may_change_an_assigned_task(make_service: MakeService) -> None:
    make_service("U0ALICE").create_task(title="Send the deck", assignee_id="U0BOB")
    carol = make_service("U0CAROL")
    expected = (
        "Only Alice (who created it) or Bob Ortiz (who is assigned to it) can change task #1."
    )
    with pytest.raises(PermissionDenied) as raised:
        carol.update_task(number=1, status="done")
    assert str(raised.value) == expected
    with pytest.raises(PermissionDenied, match="can change task #1"):
        carol.assign_task(number=1, assignee_id="U0CAROL")
    with pytest.raises(PermissionDenied):
        carol.check_can_change(number=1)
    assert make_service("U0BOB").update_task(number=1, status="in_progress").status == (
        TaskStatus.in_progress
    )
    assert make_service("U0ALICE").update_task(number=1, status="done").status is TaskStatus.done
    # The assignee may hand the task on.
    assert make_service("U0BOB").assign_task(number=1, assignee_id="U0CAROL").assignee_id == (
        "U0CAROL"
    )
    assert carol.update_task(number=1, status="open").status is TaskStatus.open


def test_self_assigned_task_permission_message(make_service: MakeService) -> None:
    make_service("U0BOB").create_task(title="My own", assignee_id="U0BOB")
    with pytest.raises(PermissionDenied) as raised:
        make_service("U0CAROL").update_task(number=1, title="Theirs now")
    assert str(raised.value) == (
        "Only Bob Ortiz, who created it and is assigned to it, can change task #1."
    )


def test_only_the_creator_may_delete(make_service: MakeService, session: Session) -> None:
    make_service("U0ALICE").create_task(title="Plan the offsite", assignee_id="U0BOB")
    for actor in ("U0BOB", "U0CAROL"):
        with pytest.raises(PermissionDenied) as raised:
            make_service(actor).delete_task(number=1)
        assert str(raised.value) == "Only Alice, who created task #1, can delete it."
    assert make_service("U0ALICE").check_can_delete(number=1).title == "Plan the offsite"
    deleted = make_service("U0ALICE").delete_task(number=1)
    assert (deleted.number, deleted.title, deleted.assignee_id) == (1, "Plan the offsite", "U0BOB")
    with pytest.raises(TaskNotFound):
        make_service().get_task(number=1)
    event = events(session)[-1]
    assert event.action is AuditAction.delete
    assert event.changes["title"] == ["Plan the offsite", None]
    assert event.changes["assignee_id"] == ["U0BOB", None]
    assert [e.action for e in make_service().history(number=1)] == [
        AuditAction.create,
        AuditAction.delete,
    ]


# Updating and assigning.


def test_update_records_old_and_new_values(make_service: MakeService, session: Session) -> None:
    service = make_service()
    service.create_task(title="Draft", due=resolve_due("friday", now=NOW), tags=["a"])
    task = service.update_task(
        number=1,
        title="Final draft",
        description="With comments",
        due=resolve_due("dec 3 5pm", now=NOW),
        priority=TaskPriority.urgent,
        status=TaskStatus.in_progress,
        tags=["a", "#B"],
    )
    assert task.tags == ["a", "b"]
    event = events(session)[-1]
    assert event.action is AuditAction.update
    assert event.changes == {
        "title": ["Draft", "Final draft"],
        "description": [None, "With comments"],
        "due": ["2026-11-27", "2026-12-03T17:00:00-05:00"],
        "priority": ["normal", "urgent"],
        "status": ["open", "in_progress"],
        "tags": [["a"], ["a", "b"]],
    }
    assert task.updated_at > task.created_at


def test_update_with_the_same_values_records_nothing(
    make_service: MakeService, session: Session
) -> None:
    service = make_service()
    service.create_task(title="Same", priority="high")
    service.update_task(number=1, title="Same", priority="high")
    assert len(events(session)) == 1


def test_update_needs_something_to_change(make_service: MakeService) -> None:
    service = make_service()
    service.create_task(title="Idle")
    with pytest.raises(InvalidTaskInput, match="Nothing to change"):
        service.update_task(number=1)
    with pytest.raises(InvalidTaskInput, match="not both"):
        service.update_task(number=1, due=resolve_due("friday", now=NOW), clear_due=True)


def test_a_shift_moves_the_due_date_and_is_audited(
    make_service: MakeService, session: Session
) -> None:
    service = make_service()
    service.create_task(title="Ship", due=resolve_due("dec 3 5pm", now=NOW))
    service.create_task(title="Plan", due=resolve_due("dec 3", now=NOW))
    shift = parse_due_shift("a week later")
    assert shift is not None
    service.update_task(number=1, due=shift)
    service.update_task(number=2, due=shift)
    ship, plan = (event.changes["due"] for event in events(session)[-2:])
    assert ship == ["2026-12-03T17:00:00-05:00", "2026-12-10T17:00:00-05:00"]
    assert plan == ["2026-12-03", "2026-12-10"]


def test_a_shift_needs_a_due_date_and_the_right_to_change_the_task(
    make_service: MakeService, session: Session
) -> None:
    make_service().create_task(title="Someday")
    make_service().create_task(
        title="Bob's", assignee_id="U0BOB", due=resolve_due("dec 3", now=NOW)
    )
    shift = parse_due_shift("+2d")
    assert shift is not None
    with pytest.raises(InvalidTaskInput, match="#1 has no due date to move; give a date"):
        make_service().update_task(number=1, due=shift, title="Someday soon")
    # Permission comes first: carol is not told about the due date of a task she can't change.
    with pytest.raises(PermissionDenied):
        make_service("U0CAROL").update_task(number=2, due=shift)
    assert [event.action for event in events(session)] == [AuditAction.create] * 2


def test_a_bad_value_changes_nothing(make_service: MakeService, session: Session) -> None:
    service = make_service()
    service.create_task(title="Keep me")
    with pytest.raises(InvalidTaskInput, match="'critical-ish' is not a priority"):
        service.update_task(number=1, title="Renamed", priority="critical-ish")
    with pytest.raises(InvalidTaskInput, match="use one of open, in_progress, done, cancelled"):
        service.update_task(number=1, title="Renamed", status="paused")
    with pytest.raises(InvalidTaskInput, match="at most 200"):
        service.update_task(number=1, title="t" * 1000, status="done")
    session.flush()
    session.expire_all()
    task = service.get_task(number=1)
    assert (task.title, task.status) == ("Keep me", TaskStatus.open)
    assert len(events(session)) == 1


def test_status_synonyms_and_clearing_fields(make_service: MakeService) -> None:
    service = make_service()
    service.create_task(
        title="Wrap up", description="notes", due=resolve_due("friday", now=NOW), tags=["x"]
    )
    task = service.update_task(
        number=1, status="Completed", description="", tags=[], clear_due=True
    )
    assert task.status is TaskStatus.done
    assert (task.description, task.tags, task.due_at, task.due_tz) == (None, [], None, None)
    assert service.update_task(number=1, status="in progress").status is TaskStatus.in_progress
    assert service.update_task(number=1, status="canceled").status is TaskStatus.cancelled


def test_assign_and_unassign(make_service: MakeService, session: Session) -> None:
    service = make_service()
    service.create_task(title="Review PR")
    assert service.assign_task(number=1, assignee_id="U0BOB").assignee_id == "U0BOB"
    assert service.assign_task(number=1, assignee_id="U0BOB").assignee_id == "U0BOB"
    assert service.assign_task(number=1, assignee_id=None).assignee_id is None
    assign_events = [e for e in events(session) if e.action is AuditAction.assign]
    assert [e.changes for e in assign_events] == [
        {"assignee_id": [None, "U0BOB"]},
        {"assignee_id": ["U0BOB", None]},
    ]
    with pytest.raises(UnknownUser):
        service.assign_task(number=1, assignee_id="U0NOBODY")
    with pytest.raises(TaskNotFound):
        service.assign_task(number=9, assignee_id="U0BOB")


# Listing.


@pytest.fixture
def board(make_service: MakeService, session: Session) -> TaskService:
    alice = make_service("U0ALICE")
    bob = make_service("U0BOB")
    alice.create_task(
        title="Call the bank", assignee_id="U0ALICE", due=resolve_due("yesterday 3pm", now=NOW)
    )  # 1
    alice.create_task(
        title="Send the Q3 deck", assignee_id="U0BOB", due=resolve_due("friday", now=NOW)
    )  # 2
    alice.create_task(
        title="Renew TLS certificate", priority="high", due=resolve_due("dec 10", now=NOW)
    )  # 3
    alice.create_task(title="Old invoice", assignee_id="U0ALICE")  # 4
    alice.update_task(number=4, status="done")
    bob.create_task(title="Invoices for Acme", description="Ask Élodie about the ÉTÉ discount")  # 5
    alice.create_task(title="Due today", due=resolve_due("today", now=NOW))  # 6
    session.commit()
    return alice


def test_list_orders_due_tasks_first_soonest_first_then_newest(board: TaskService) -> None:
    assert numbers(board.list_tasks()) == [1, 6, 2, 3, 5, 4]


def test_list_filters(board: TaskService) -> None:
    assert numbers(board.list_tasks(assignee_id="U0ALICE")) == [1, 4]
    assert numbers(board.list_tasks(creator_id="U0BOB")) == [5]
    assert numbers(board.list_tasks(status="done")) == [4]
    assert numbers(board.list_tasks(status=[TaskStatus.open, "in_progress"])) == [1, 6, 2, 3, 5]
    assert board.list_tasks(status=[]) == []
    assert numbers(board.list_tasks(priority="high")) == [3]
    assert numbers(board.list_tasks(unassigned=True)) == [6, 3, 5]
    assert numbers(board.list_tasks(limit=2)) == [1, 6]
    assert len(board.list_tasks(limit=None)) == 6
    with pytest.raises(InvalidTaskInput, match="at least 1"):
        board.list_tasks(limit=0)


def test_list_due_window_is_half_open(board: TaskService) -> None:
    friday = resolve_due("friday", now=NOW).at
    saturday = friday + timedelta(days=1)
    assert numbers(board.list_tasks(due_before=friday)) == [1, 6]
    assert numbers(board.list_tasks(due_after=friday, due_before=saturday)) == [2]
    assert numbers(board.list_tasks(due_after=saturday)) == [3]


def test_list_query_matches_every_word_in_any_case(board: TaskService) -> None:
    assert numbers(board.list_tasks(query="INVOICE")) == [5, 4]
    assert numbers(board.list_tasks(query="invoice acme")) == [5]
    assert numbers(board.list_tasks(query="invoice élodie")) == [5]
    assert numbers(board.list_tasks(query="été")) == [5]
    assert numbers(board.list_tasks(query="deck q3")) == [2]
    assert board.list_tasks(query="deck bank") == []


def test_overdue_counts_an_all_day_task_only_after_its_day(board: TaskService) -> None:
    assert numbers(board.list_tasks(overdue_at=NOW)) == [1]
    next_morning = NOW + timedelta(days=1)
    assert numbers(board.list_tasks(overdue_at=next_morning)) == [1, 6]
    # Done tasks are never overdue.
    board.update_task(number=1, status="done")
    assert numbers(board.list_tasks(overdue_at=next_morning)) == [6]


# Cards.


def test_cards_read_in_the_speakers_zone(board: TaskService) -> None:
    card = task_card(board.get_task(number=2), tz=TOKYO, directory=board.directory)
    assert card == {
        "id": 2,
        "title": "Send the Q3 deck",
        "description": None,
        "status": "open",
        "priority": "normal",
        "assignee": "U0BOB",
        "assignee_name": "Bob Ortiz",
        "creator": "U0ALICE",
        "due": "2026-11-27",  # all-day: the day it was given for, also in Tokyo
        "due_all_day": True,
        "tags": [],
    }
    cards = task_cards(board.list_tasks(limit=3), tz=NY, directory=board.directory)
    assert [c["assignee_name"] for c in cards] == ["Alice", None, "Bob Ortiz"]
    timed = board.create_task(title="Standup", due=resolve_due("tomorrow 9am", now=NOW))
    assert task_card(timed, tz=TOKYO)["due"] == "2026-11-26T23:00:00+09:00"
    assert task_card(timed, tz=NY)["due"] == "2026-11-26T09:00:00-05:00"
    record = task_record(board.get_task(number=1))
    assert record["due"] == "2026-11-24T15:00:00-05:00"
    assert set(record) == {
        "id", "title", "description", "status", "priority", "assignee", "creator", "due",
        "tags", "created_at", "updated_at",
    }  # fmt: skip


# Concurrency.


def _create_in_own_transaction(
    session_factory: SessionFactory, team_id: str, actor: str, title: str
) -> int:
    with session_factory() as session, session.begin():
        task = TaskService(session, team_id=team_id, actor_id=actor, source="test").create_task(
            title=title
        )
        return task.number


def test_concurrent_creates_get_distinct_numbers(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    workers, per_worker = 4, 5
    barrier = threading.Barrier(workers)
    results: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_worker):
                number = _create_in_own_transaction(
                    session_factory, seeded_team.team_id, "U0ALICE", f"w{worker} t{i}"
                )
                with lock:
                    results.append(number)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(results) == list(range(1, workers * per_worker + 1))


def test_a_create_that_loses_the_race_takes_the_next_number(
    session_factory: SessionFactory,
    seeded_team: SeededTeam,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    picks: list[int] = []
    original = TaskService._next_number  # pyright: ignore[reportPrivateUsage]

    def counting(self: TaskService) -> int:
        number = original(self)
        picks.append(number)
        return number

    monkeypatch.setattr(TaskService, "_next_number", counting)
    first = session_factory()
    first.begin()
    TaskService(first, team_id=seeded_team.team_id, actor_id="U0ALICE", source="test").create_task(
        title="First, not yet committed"
    )
    second_number: list[int] = []
    second = threading.Thread(
        target=lambda: second_number.append(
            _create_in_own_transaction(session_factory, seeded_team.team_id, "U0BOB", "Second")
        )
    )
    second.start()
    # The second create now waits on the first transaction (PostgreSQL: on the team's
    # numbering lock; SQLite: on the write lock) until it commits, then takes the next number
    # without having to retry.
    time.sleep(0.5)
    first.commit()
    first.close()
    second.join(timeout=30)
    assert second_number == [2]
    assert picks == [1, 2], backend


def test_too_much_contention_gives_a_readable_error(
    make_service: MakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service()
    service.create_task(title="Holds #1")
    # Always picking a taken number is what endless lost races look like.
    monkeypatch.setattr(TaskService, "_next_number", lambda self: 1)  # pyright: ignore[reportUnknownLambdaType, reportUnknownArgumentType]
    # Races are lost only where creates do not take turns (PostgreSQL's numbering lock rules
    # them out): without the lock, as on SQLite.
    monkeypatch.setattr(TaskService, "_lock_numbering", lambda self: False)  # pyright: ignore[reportUnknownLambdaType, reportUnknownArgumentType]
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # pyright: ignore[reportUnknownLambdaType, reportUnknownArgumentType]
    with pytest.raises(TaskError, match="try again"):
        service.create_task(title="Never placed")
    assert numbers(service.list_tasks()) == [1]


def test_a_crowd_of_slow_creates_in_one_team_all_get_a_number(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    # Each create's transaction stays open a moment after the insert, as a tool's does while
    # it writes the audit event and the reply: many at once used to run out of retries.
    workers = 24
    barrier = threading.Barrier(workers)
    results: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(worker: int) -> None:
        try:
            barrier.wait()
            with session_factory() as session, session.begin():
                task = TaskService(
                    session, team_id=seeded_team.team_id, actor_id="U0ALICE", source="test"
                ).create_task(title=f"crowd {worker}")
                time.sleep(0.02)
            with lock:
                results.append(task.number)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(results) == list(range(1, workers + 1))


def test_a_create_holds_the_numbering_lock_for_few_round_trips(
    session_factory: SessionFactory, seeded_team: SeededTeam, backend: str
) -> None:
    # Every create of a team waits while another holds its numbering lock (PostgreSQL), so
    # the statements from taking it to the commit bound how many creates a team gets through
    # a second: a hundred Slack turns creating at once queue on it.
    if backend != "postgres":
        pytest.skip("the numbering lock is PostgreSQL's; SQLite serialises writes itself")
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statements or "pg_advisory_xact_lock" in statement:
            statements.append(statement.split()[0].upper())

    with session_factory() as session, session.begin():
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", note)
        try:
            service = TaskService(
                session,
                team_id=seeded_team.team_id,
                actor_id="U0ALICE",
                source="slack",
                request_id="slack:T0TEST:Ev0LOCK",
                replayable=True,
            )
            task = service.create_task(title="Send the Q3 deck")
        finally:
            event.remove(engine, "before_cursor_execute", note)
    # Take the lock, look for the request's earlier task, read the highest numbers, insert the
    # task and its audit event: no savepoint, no second lock, no number read twice.
    assert statements == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT"]
    assert task.number == 1


def test_count_tasks_counts_what_list_tasks_lists_within_the_team(
    make_service: MakeService, seeded_team: SeededTeam
) -> None:
    alice = make_service()
    bob = make_service("U0BOB")
    for n in range(5):
        alice.create_task(title=f"Alice's {n}", assignee_id="U0ALICE")
        alice.create_task(title=f"Unassigned {n}")
        bob.create_task(title=f"Bob's {n}", assignee_id="U0BOB")
    late = resolve_due("yesterday 9am", now=NOW)
    alice.create_task(title="Late", assignee_id="U0ALICE", due=late)
    bob.update_task(number=bob.create_task(title="Done", assignee_id="U0BOB").number, status="done")
    # Another team's tasks are never counted.
    make_service("U0ERIN", team=seeded_team.other_team_id).create_task(title="Theirs")
    filters: list[dict[str, Any]] = [
        {},
        {"assignee_id": "U0ALICE"},
        {"creator_id": "U0ALICE", "unassigned": True},
        {"assignee_id": "U0BOB", "status": ["open", "in_progress"]},
        {"status": "done"},
        {"assignee_id": "U0ALICE", "creator_id": "U0ALICE", "overdue_at": NOW},
    ]
    for given in filters:
        assert alice.count_tasks(**given) == len(alice.list_tasks(**given, limit=None)), given
    assert alice.count_tasks() == 17
