"""`create_task` is idempotent per replayable request (a Slack event's delivery key, which its
caller marks replayable) and ordinal: a turn re-run after a crash gets the tasks its first run
created instead of new ones. Nothing is replayable unless the caller says so, whatever the
shape of its request id.

Every test here runs on SQLite and on PostgreSQL (see the `engine` fixture).
"""

from __future__ import annotations

import threading

import pytest
from sqlmodel import col, select

from tasks.models import AuditAction, AuditEvent, Task
from tasks.service import TaskService
from tests.conftest import SeededTeam, SessionFactory

DELIVERY = "T0TEAM:Ev0CRASH01"


def create(
    session_factory: SessionFactory,
    team: SeededTeam,
    title: str,
    *,
    request_id: str | None = DELIVERY,
    ordinal: int | None = None,
    replayable: bool = True,
) -> tuple[int, str | None]:
    """One create in its own transaction, as a tool call makes it: (number, origin_key)."""
    with session_factory() as session, session.begin():
        task = TaskService(
            session,
            team_id=team.team_id,
            actor_id=team.alice,
            source="slack",
            request_id=request_id,
            replayable=replayable,
        ).create_task(title=title, ordinal=ordinal)
        return task.number, task.origin_key


def tasks_of(session_factory: SessionFactory, team_id: str) -> list[Task]:
    with session_factory() as session:
        statement = select(Task).where(Task.team_id == team_id).order_by(col(Task.number))
        return list(session.exec(statement).all())


def create_events(session_factory: SessionFactory, team_id: str) -> list[AuditEvent]:
    with session_factory() as session:
        statement = select(AuditEvent).where(
            AuditEvent.team_id == team_id, AuditEvent.action == AuditAction.create
        )
        return list(session.exec(statement).all())


def test_a_delivery_key_not_marked_replayable_creates_each_time(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    """The service never guesses from the shape of an id: a REST request id that looks like a
    Slack delivery key creates a task each time unless its caller marks it replayable."""
    shaped = "T0TEAM:Ev0LOOKALIKE"
    numbers = [
        create(session_factory, seeded_team, "Twice", request_id=shaped, replayable=False)[0]
        for _ in range(2)
    ]
    assert numbers == [1, 2]


def test_the_same_origin_twice_is_one_task_with_one_number_and_one_audit_event(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    first = create(session_factory, seeded_team, "Send the deck", ordinal=1)
    again = create(session_factory, seeded_team, "Send the deck", ordinal=1)
    assert first == again == (1, f"{DELIVERY}#1")
    assert [task.title for task in tasks_of(session_factory, seeded_team.team_id)] == [
        "Send the deck"
    ]
    events = create_events(session_factory, seeded_team.team_id)
    assert [(event.task_number, event.request_id) for event in events] == [(1, DELIVERY)]


def test_two_creates_in_one_request_are_two_tasks_and_a_rerun_in_a_new_service_finds_both(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    # One service for the whole request: it counts the ordinals itself.
    with session_factory() as session, session.begin():
        service = TaskService(
            session,
            team_id=seeded_team.team_id,
            actor_id=seeded_team.alice,
            source="slack",
            request_id=DELIVERY,
            replayable=True,
        )
        a = service.create_task(title="A")
        b = service.create_task(title="B")
        assert (a.number, b.number) == (1, 2)
        assert (a.origin_key, b.origin_key) == (f"{DELIVERY}#1", f"{DELIVERY}#2")
    # The re-run (a new process: a new service) counts from 1 again and meets both.
    with session_factory() as session, session.begin():
        rerun = TaskService(
            session,
            team_id=seeded_team.team_id,
            actor_id=seeded_team.alice,
            source="slack",
            request_id=DELIVERY,
            replayable=True,
        )
        assert rerun.create_task(title="A").number == 1
        assert rerun.create_task(title="B").number == 2
        # A third create the first run never reached is new.
        assert rerun.create_task(title="C").number == 3
    assert [task.title for task in tasks_of(session_factory, seeded_team.team_id)] == [
        "A",
        "B",
        "C",
    ]
    assert len(create_events(session_factory, seeded_team.team_id)) == 3


def test_explicit_ordinals_as_the_tools_give_them(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    assert create(session_factory, seeded_team, "A", ordinal=1)[0] == 1
    assert create(session_factory, seeded_team, "B", ordinal=2)[0] == 2
    assert create(session_factory, seeded_team, "A", ordinal=1)[0] == 1
    assert create(session_factory, seeded_team, "B", ordinal=2)[0] == 2
    assert len(tasks_of(session_factory, seeded_team.team_id)) == 2
    with pytest.raises(ValueError, match="ordinal"):
        create(session_factory, seeded_team, "Z", ordinal=0)


def test_concurrent_duplicate_creates_make_one_task(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    workers = 8
    barrier = threading.Barrier(workers)
    results: list[tuple[int, str | None]] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            barrier.wait()
            result = create(session_factory, seeded_team, "Only once", ordinal=1)
            with lock:
                results.append(result)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert results == [(1, f"{DELIVERY}#1")] * workers
    assert len(tasks_of(session_factory, seeded_team.team_id)) == 1
    assert len(create_events(session_factory, seeded_team.team_id)) == 1


def test_a_row_that_appears_after_the_look_is_returned_not_an_error(
    session_factory: SessionFactory, seeded_team: SeededTeam, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race the unique constraint settles: the look finds nothing, the insert then clashes
    # with the winner's row, and the winner's task is returned.
    create(session_factory, seeded_team, "Winner", ordinal=1)
    original = TaskService._task_of_origin  # pyright: ignore[reportPrivateUsage]
    looks: list[str] = []

    def blind_once(self: TaskService, origin_key: str) -> Task | None:
        looks.append(origin_key)
        return None if len(looks) == 1 else original(self, origin_key)

    monkeypatch.setattr(TaskService, "_task_of_origin", blind_once)
    # PostgreSQL's numbering lock, taken before the look, rules this race out; the constraint
    # settles it where creates do not take turns under a lock.
    monkeypatch.setattr(TaskService, "_lock_numbering", lambda self: False)  # pyright: ignore[reportUnknownLambdaType, reportUnknownArgumentType]
    assert create(session_factory, seeded_team, "Loser", ordinal=1) == (1, f"{DELIVERY}#1")
    assert [task.title for task in tasks_of(session_factory, seeded_team.team_id)] == ["Winner"]
    assert len(create_events(session_factory, seeded_team.team_id)) == 1


def test_other_request_ids_and_no_request_id_are_not_deduplicated(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    for request_id in (None, "3f2b6c1e9a8d4f7b8c0d1e2f3a4b5c6d", "slack:1234.1.abcdef"):
        first = create(
            session_factory, seeded_team, "Same", request_id=request_id, ordinal=1, replayable=False
        )
        second = create(
            session_factory, seeded_team, "Same", request_id=request_id, ordinal=1, replayable=False
        )
        assert first[0] != second[0]
        assert first[1] is second[1] is None
    assert len(tasks_of(session_factory, seeded_team.team_id)) == 6


def test_a_caller_may_mark_its_request_replayable_or_not(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    marked = "job-42"
    assert create(session_factory, seeded_team, "X", request_id=marked, replayable=True) == (
        1,
        "job-42#1",
    )
    assert create(session_factory, seeded_team, "X", request_id=marked, replayable=True)[0] == 1
    # A delivery key marked not replayable creates each time.
    unmarked = [create(session_factory, seeded_team, "Y", replayable=False)[0] for _ in range(2)]
    assert unmarked == [2, 3]
    # Replayable without a request id has nothing to key on.
    assert create(session_factory, seeded_team, "Z", request_id=None, replayable=True)[1] is None


def test_the_same_origin_in_two_teams_is_two_tasks(
    session_factory: SessionFactory, seeded_team: SeededTeam
) -> None:
    create(session_factory, seeded_team, "Ours", ordinal=1)
    with session_factory() as session, session.begin():
        theirs = TaskService(
            session,
            team_id=seeded_team.other_team_id,
            actor_id=seeded_team.alice,
            source="slack",
            request_id=DELIVERY,
            replayable=True,
        ).create_task(title="Theirs", ordinal=1)
        assert (theirs.number, theirs.title) == (1, "Theirs")
