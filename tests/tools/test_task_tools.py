"""The tools as the model uses them: filters, numbers, errors and one transaction per call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart

from tests.agent.support import (
    NOW,
    ZONE,
    Script,
    SessionFactory,
    audit_events,
    call,
    runtime_for,
    say,
    seed,
    team_tasks,
    turn,
)


def listed(sessions: SessionFactory, **args: Any) -> list[int]:
    script = Script(call("list_tasks", **args), say("ok"))
    result = turn(sessions, runtime_for(script), "list")
    [record] = result.tool_calls
    assert record.ok, record.error
    return [card["id"] for card in record.result["tasks"]]


def at(days: int, hour: int = 12) -> datetime:
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=0)


@pytest.fixture
def board(sessions: SessionFactory) -> SessionFactory:
    seed(sessions, number=1, title="Call the bank", assignee_id="U0001", due_at=at(-2))
    seed(sessions, number=2, title="Send the Q3 deck", assignee_id="U0002", due_at=at(2))
    seed(sessions, number=3, title="Renew TLS certificate", priority="high", due_at=at(9))
    seed(sessions, number=4, title="Old invoice", status="done", assignee_id="U0001")
    seed(sessions, number=5, title="Invoices for Acme", creator_id="U0002")
    return sessions


def test_default_list_shows_work_still_to_do(board: SessionFactory) -> None:
    assert sorted(listed(board)) == [1, 2, 3, 5]


def test_filters_combine(board: SessionFactory) -> None:
    assert listed(board, assignee="me") == [1]
    assert listed(board, assignee="<@U0002>") == [2]
    assert listed(board, status="done") == [4]
    assert listed(board, priority="high") == [3]
    assert listed(board, creator="bob") == [5]
    assert sorted(listed(board, query="invoice", status=None)) == [5]


def test_overdue_and_this_week(board: SessionFactory) -> None:
    assert listed(board, due_before="now") == [1]
    # Friday is two days after this Wednesday; "before friday" includes Friday itself.
    assert listed(board, due_before="friday") == [1, 2]
    assert listed(board, due_after="friday") == [3]


def test_task_numbers_accept_hash_and_strings(board: SessionFactory) -> None:
    script = Script(call("update_task", task_id="#2", status="done"), say("ok"))
    result = turn(board, runtime_for(script), "mark #2 done")
    assert result.tool_calls[0].ok
    assert [t.status for t in team_tasks(board) if t.number == 2] == ["done"]


def test_a_word_as_task_number_is_sent_back_to_the_model(board: SessionFactory) -> None:
    script = Script(
        call("update_task", task_id="the bank one", status="done"),
        call("update_task", task_id=1, status="done"),
        say("ok"),
    )
    result = turn(board, runtime_for(script), "mark the bank one done")
    assert [c.ok for c in result.tool_calls] == [False, True]
    assert "list_tasks" in (result.tool_calls[0].error or "")


def test_impossible_date_is_told_to_the_person_and_nothing_is_written(
    sessions: SessionFactory,
) -> None:
    script = Script(call("create_task", title="Pay rent", due="the 31st of February"), say("x"))
    result = turn(sessions, runtime_for(script), "pay rent on the 31st of february")
    assert result.tool_calls[0].ok is False
    assert "february" in (result.tool_calls[0].error or "").lower()
    assert team_tasks(sessions) == []
    assert audit_events(sessions) == []


def test_markup_and_sql_in_titles_are_stored_verbatim(sessions: SessionFactory) -> None:
    title = "Robert'); DROP TABLE tasks;-- <!channel> *bold* <@U0002>"
    script = Script(call("create_task", title=title), say("ok"))
    assert turn(sessions, runtime_for(script), "x").tool_calls[0].ok
    [task] = team_tasks(sessions)
    assert task.title == title


def test_overlong_title_is_refused_whole(sessions: SessionFactory) -> None:
    script = Script(call("create_task", title="a" * 1000), say("x"))
    result = turn(sessions, runtime_for(script), "x")
    assert result.tool_calls[0].ok is False
    assert "200" in (result.tool_calls[0].error or "")
    assert team_tasks(sessions) == []


def test_ambiguous_name_lists_candidates(sessions: SessionFactory) -> None:
    from tasks.directory import UserDirectory

    with sessions() as session, session.begin():
        directory = UserDirectory(session, team_id="T0001")
        directory.upsert(user_id="U0008", handle="dan.b", real_name="Dan Brown", tz=str(ZONE))
        directory.upsert(user_id="U0009", handle="dgreen", real_name="Dan Green", tz=str(ZONE))
    script = Script(call("create_task", title="Fix CI", assignee="Dan"), say("x"))
    result = turn(sessions, runtime_for(script), "ask dan to fix CI")
    record = result.tool_calls[0]
    assert record.ok is False
    ids = {c["id"] for c in record.result["candidates"]}
    assert ids == {"U0008", "U0009"}
    assert team_tasks(sessions) == []


def test_past_due_date_is_flagged_to_the_model(sessions: SessionFactory) -> None:
    script = Script(call("create_task", title="File taxes", due="2026-01-15"), say("x"))
    result = turn(sessions, runtime_for(script), "x")
    assert result.tool_calls[0].ok
    assert "past" in result.tool_calls[0].result["warning"]


def test_update_by_someone_else_is_refused(sessions: SessionFactory) -> None:
    seed(sessions, number=8, title="Bob's thing", creator_id="U0002", assignee_id="U0002")
    script = Script(call("update_task", task_id=8, priority="urgent"), say("x"))
    result = turn(sessions, runtime_for(script), "make #8 urgent", actor="U0003")
    assert result.tool_calls[0].ok is False
    [task] = team_tasks(sessions)
    assert task.priority == "normal"


def test_update_says_what_each_changed_field_held_before(sessions: SessionFactory) -> None:
    seed(sessions, number=5, title="Order gloves", creator_id="U0001", assignee_id="U0001")
    script = Script(call("update_task", task_id=5, priority="high", status="open"), say("x"))
    result = turn(sessions, runtime_for(script), "make #5 high")
    record = result.tool_calls[0]
    assert record.ok
    # Only what changed: the status was open already, so a correction has nothing to undo there.
    assert record.result["previous"] == {"priority": "normal"}


# --- status groups ------------------------------------------------------------------------


@pytest.fixture
def statuses(board: SessionFactory) -> SessionFactory:
    seed(board, number=6, title="Draft the memo", status="in_progress")
    seed(board, number=7, title="Book the offsite", status="cancelled")
    return board


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, [1, 2, 3, 5, 6]),
        ("active", [1, 2, 3, 5, 6]),
        ("closed", [4, 7]),
        ("any", [1, 2, 3, 4, 5, 6, 7]),
        ("in_progress", [6]),
        (["open", "done"], [1, 2, 3, 4, 5]),
        (["closed", "in_progress"], [4, 6, 7]),
        ([], [1, 2, 3, 5, 6]),
    ],
)
def test_status_takes_a_status_a_group_or_a_list(
    statuses: SessionFactory, status: object, expected: list[int]
) -> None:
    assert sorted(listed(statuses, status=status)) == expected


def test_an_unknown_status_goes_back_to_the_model(statuses: SessionFactory) -> None:
    script = Script(call("list_tasks", status="finished"), say("ok"))
    result = turn(statuses, runtime_for(script), "list finished ones")
    [record] = result.tool_calls
    assert record.ok is False and record.retried
    assert "closed" in (record.error or "")


# --- moving a due date ---------------------------------------------------------------------


def updated(sessions: SessionFactory, **args: Any) -> Any:
    script = Script(call("update_task", **args), say("ok"))
    [record] = turn(sessions, runtime_for(script), "move it").tool_calls
    return record


def due_of_task(sessions: SessionFactory, number: int) -> tuple[datetime | None, bool]:
    [task] = [t for t in team_tasks(sessions) if t.number == number]
    return (task.due_at.astimezone(ZONE) if task.due_at else None), task.due_all_day


@pytest.mark.parametrize(
    ("shift", "expected"),
    [
        ("+2d", datetime(2026, 12, 3, 17, 0, tzinfo=ZONE)),
        ("-1d", datetime(2026, 11, 30, 17, 0, tzinfo=ZONE)),
        ("+1w", datetime(2026, 12, 8, 17, 0, tzinfo=ZONE)),
        ("+3 days", datetime(2026, 12, 4, 17, 0, tzinfo=ZONE)),
        ("a week later", datetime(2026, 12, 8, 17, 0, tzinfo=ZONE)),
        ("two days later", datetime(2026, 12, 3, 17, 0, tzinfo=ZONE)),
        ("2 days earlier", datetime(2026, 11, 29, 17, 0, tzinfo=ZONE)),
        ("+2h", datetime(2026, 12, 1, 19, 0, tzinfo=ZONE)),
        ("half an hour later", datetime(2026, 12, 1, 17, 30, tzinfo=ZONE)),
    ],
)
def test_a_shift_moves_the_current_due_date_and_keeps_its_time(
    sessions: SessionFactory, shift: str, expected: datetime
) -> None:
    seed(
        sessions,
        number=4,
        title="Ship the release",
        due_at=datetime(2026, 12, 1, 17, 0, tzinfo=ZONE),
    )
    record = updated(sessions, task_id=4, due=shift)
    assert record.ok, record.error
    assert due_of_task(sessions, 4) == (expected, False)


def test_a_shift_keeps_an_all_day_date_all_day(sessions: SessionFactory) -> None:
    seed(
        sessions,
        number=4,
        title="Ship the release",
        due_at=datetime(2026, 12, 1, tzinfo=ZONE),
        due_all_day=True,
    )
    record = updated(sessions, task_id=4, due="a week later")
    assert record.ok, record.error
    assert due_of_task(sessions, 4) == (datetime(2026, 12, 8, tzinfo=ZONE), True)
    assert record.result["task"]["due"] == "2026-12-08"
    # Hours make no sense on a whole day: the model is told, and nothing moves.
    refused = updated(sessions, task_id=4, due="+2h")
    assert refused.ok is False and "whole day" in (refused.error or "")
    assert due_of_task(sessions, 4) == (datetime(2026, 12, 8, tzinfo=ZONE), True)


def test_a_shift_of_a_task_without_a_due_date_asks_for_a_date(sessions: SessionFactory) -> None:
    seed(sessions, number=4, title="Ship the release")
    record = updated(sessions, task_id=4, due="2 days later", priority="high")
    assert record.ok is False
    assert record.error == "#4 has no due date to move; give a date instead."
    [task] = team_tasks(sessions)
    # The whole call changed nothing, not even the priority.
    assert (task.due_at, task.priority) == (None, "normal")


def test_a_shift_into_the_past_is_flagged(sessions: SessionFactory) -> None:
    seed(sessions, number=4, title="Ship the release", due_at=at(1, hour=9))
    record = updated(sessions, task_id=4, due="-2d")
    assert record.ok
    assert "past" in record.result["warning"]


def test_a_date_still_replaces_the_due_date(sessions: SessionFactory) -> None:
    seed(sessions, number=4, title="Ship the release", due_at=at(6))
    record = updated(sessions, task_id=4, due="in 2 days")
    assert record.ok
    assert due_of_task(sessions, 4) == (datetime(2026, 11, 27, tzinfo=ZONE), True)


def test_on_create_a_later_date_counts_from_now(sessions: SessionFactory) -> None:
    script = Script(call("create_task", title="Ship the release", due="2 days later"), say("x"))
    assert turn(sessions, runtime_for(script), "x").tool_calls[0].ok
    assert due_of_task(sessions, 1) == (datetime(2026, 11, 27, tzinfo=ZONE), True)


# --- strict models send every argument ----------------------------------------------------


def test_null_arguments_mean_not_given(sessions: SessionFactory) -> None:
    # A model held to the strict schema sends every argument, null for what it leaves out.
    seed(sessions, number=4, title="Ship the release", priority="high", tags=["launch"])
    unsaid = ("description", "assignee", "due", "priority", "tags")
    create: dict[str, Any] = {"title": "Call the bank", **dict.fromkeys(unsaid)}
    unchanged = ("title", "description", "due", "priority", "tags")
    update: dict[str, Any] = {"task_id": 4, "status": "done", **dict.fromkeys(unchanged)}
    filters = ("assignee", "creator", "status", "priority", "due_before", "due_after", "query")
    listing: dict[str, Any] = dict.fromkeys((*filters, "limit"))

    def all_at_once(messages: list[ModelMessage]) -> ModelResponse:
        del messages
        return ModelResponse(
            parts=[
                ToolCallPart("create_task", create),
                ToolCallPart("update_task", update),
                ToolCallPart("list_tasks", listing),
            ]
        )

    result = turn(sessions, runtime_for(Script(all_at_once, say("ok"))), "x")
    assert [c.ok for c in result.tool_calls] == [True, True, True]
    bank, release = sorted(team_tasks(sessions), key=lambda t: t.title)
    assert (bank.title, bank.priority, bank.tags, bank.due_at) == (
        "Call the bank",
        "normal",
        [],
        None,
    )
    assert (release.status, release.priority, release.tags) == ("done", "high", ["launch"])
    # The list kept its defaults: the active tasks, up to 20.
    assert [card["id"] for card in result.tool_calls[2].result["tasks"]] == [bank.number]
