"""A finished turn's conversation state and turn-log record land together, on every database."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from sqlalchemy import event
from sqlmodel import select

from agent.memory import load_conversation
from agent.turn_log import TurnRecord
from agent.turn_store import store_turn
from tests.agent.support import TEAM, SessionFactory, scripted_turn_row


def exchange(n: int) -> list[ModelMessage]:
    return [
        ModelRequest(parts=[UserPromptPart(f"message {n}")]),
        ModelResponse(parts=[TextPart(f"reply {n}")]),
    ]


def test_a_turn_stores_its_conversation_and_its_record(
    session_factory: SessionFactory, backend: str
) -> None:
    pending = [{"tool_call_id": "call-9", "tool": "delete_task", "args": {"task_id": 9}}]
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]).strip().upper())

    with session_factory() as session:
        engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        # A new conversation, then its next turn, which replaces the stored state.
        for history, waiting in ((exchange(1), pending), (exchange(1) + exchange(2), [])):
            store_turn(
                session_factory,
                team_id=TEAM,
                conversation_id="c1",
                messages=history,
                pending=waiting,
                max_messages=20,
                record=scripted_turn_row("c1"),
            )
    finally:
        event.remove(engine, "before_cursor_execute", seen)

    with session_factory() as session:
        state = load_conversation(session, team_id=TEAM, conversation_id="c1")
        records = list(session.exec(select(TurnRecord).order_by(TurnRecord.id)).all())  # pyright: ignore[reportArgumentType]
    assert len(state.messages) == 4 and state.pending == []
    assert [(r.conversation_id, r.input_tokens, r.outcome) for r in records] == [
        ("c1", 12, "ok"),
        ("c1", 12, "ok"),
    ]
    assert all(r.created_at is not None for r in records)
    writes = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "SELECT"))]
    if backend == "postgres":
        # One statement per turn: the conversation's upsert rides along with the record's insert.
        assert len(writes) == 2 and all(s.startswith("WITH") for s in writes), statements
    else:
        assert len(writes) == 4 and all(s.startswith("INSERT") for s in writes), statements


def test_a_record_that_cannot_be_written_leaves_the_conversation_as_it_was(
    session_factory: SessionFactory,
) -> None:
    store_turn(
        session_factory,
        team_id=TEAM,
        conversation_id="c1",
        messages=exchange(1),
        pending=[],
        max_messages=20,
        record=scripted_turn_row("c1"),
    )
    # An outcome longer than its column: PostgreSQL refuses the row; SQLite has no length
    # limit, so a missing required value stands in for the failure there.
    broken = scripted_turn_row("c1", outcome="x" * 50)
    broken["model"] = None  # pyright: ignore[reportGeneralTypeIssues] (a row the database refuses)
    with pytest.raises(Exception, match=r"(?i)null|not-null|too long"):
        store_turn(
            session_factory,
            team_id=TEAM,
            conversation_id="c1",
            messages=exchange(1) + exchange(2),
            pending=[],
            max_messages=20,
            record=broken,
        )
    with session_factory() as session:
        state = load_conversation(session, team_id=TEAM, conversation_id="c1")
        records = list(session.exec(select(TurnRecord)).all())
    assert len(state.messages) == 2
    assert len(records) == 1
