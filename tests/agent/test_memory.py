"""Conversation memory survives between turns, stays bounded and never splits a tool call."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from sqlalchemy import event

from agent.memory import load_conversation, save_conversation, trim_history
from tests.agent.support import TEAM, SessionFactory


def exchange(n: int, *, with_tool: bool = False) -> list[ModelMessage]:
    messages: list[ModelMessage] = [ModelRequest(parts=[UserPromptPart(f"message {n}")])]
    if with_tool:
        call_id = f"call-{n}"
        messages.append(ModelResponse(parts=[ToolCallPart("list_tasks", {}, tool_call_id=call_id)]))
        messages.append(
            ModelRequest(parts=[ToolReturnPart("list_tasks", {"ok": True}, tool_call_id=call_id)])
        )
    messages.append(ModelResponse(parts=[TextPart(f"reply {n}")]))
    return messages


def test_trim_keeps_the_newest_whole_exchanges() -> None:
    history = exchange(1, with_tool=True) + exchange(2) + exchange(3, with_tool=True)
    kept = trim_history(history, max_messages=5)
    first = kept[0]
    assert isinstance(first, ModelRequest)
    assert isinstance(first.parts[0], UserPromptPart)
    # Exchange 3 (four messages) fits; adding exchange 2 would make six.
    assert kept == history[6:]
    assert all(len(trim_history(history, max_messages=m)) <= m for m in range(10))


def test_a_single_exchange_longer_than_the_bound_is_dropped_rather_than_cut() -> None:
    assert trim_history(exchange(1, with_tool=True), max_messages=2) == []


def test_history_round_trips_through_the_database(sessions: SessionFactory) -> None:
    history = exchange(1, with_tool=True)
    with sessions() as session, session.begin():
        save_conversation(
            session,
            team_id=TEAM,
            conversation_id="c1",
            messages=history,
            pending=[],
            max_messages=20,
        )
    with sessions() as session:
        state = load_conversation(session, team_id=TEAM, conversation_id="c1")
        other = load_conversation(session, team_id="T0OTHER", conversation_id="c1")
    assert len(state.messages) == 4
    assert isinstance(state.messages[2], ModelRequest)
    part = state.messages[2].parts[0]
    assert isinstance(part, ToolReturnPart)
    assert part.content == {"ok": True}
    assert other.messages == []
    assert other.pending == []


def test_saving_replaces_the_stored_state_in_one_statement_without_reading(
    session_factory: SessionFactory,
) -> None:
    # On SQLite and PostgreSQL: an insert that updates an existing row, so a turn's save
    # reads nothing first, and two turns that both began on a new conversation both land.
    pending = [{"tool_call_id": "call-9", "tool": "delete_task", "args": {"task_id": 9}}]
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    for turn, (history, waiting) in enumerate(
        [(exchange(1), []), (exchange(1) + exchange(2), pending), (exchange(3), [])]
    ):
        with session_factory() as session, session.begin():
            engine = session.get_bind()
            event.listen(engine, "before_cursor_execute", seen)
            try:
                save_conversation(
                    session,
                    team_id=TEAM,
                    conversation_id="c1",
                    messages=history,
                    pending=waiting,
                    max_messages=20,
                )
            finally:
                event.remove(engine, "before_cursor_execute", seen)
        with session_factory() as session:
            state = load_conversation(session, team_id=TEAM, conversation_id="c1")
        assert len(state.messages) == len(history), turn
        assert state.pending == waiting, turn
    # SQLite's transactions begin with a statement of their own (`BEGIN IMMEDIATE`).
    sent = [s for s in statements if not s.upper().startswith("BEGIN")]
    assert len(sent) == 3 and all(s.upper().startswith("INSERT") for s in sent), statements
