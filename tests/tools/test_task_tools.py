"""The tools as the model uses them: filters, numbers, errors and one transaction per call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

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
