"""The turn log: every turn leaves one row saying who asked, what served it and what it did."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from agent.turn_log import TurnRecord
from tests.agent.support import (
    TEAM,
    Script,
    SessionFactory,
    call,
    runtime_for,
    say,
    scripted_turn_row,
    turn,
)


def logged_turns(sessions: SessionFactory) -> list[TurnRecord]:
    with sessions() as session:
        return list(session.exec(select(TurnRecord).order_by(TurnRecord.id)).all())  # pyright: ignore[reportArgumentType]


def test_each_turn_is_logged_with_its_speaker_model_and_calls(sessions: SessionFactory) -> None:
    before = datetime.now(UTC)
    runtime = runtime_for(Script(call("create_task", title="Send the Q3 deck"), say("Hello.")))

    turn(sessions, runtime, "add a task to send the Q3 deck", conversation="c1")
    turn(sessions, runtime, "hi", actor="U0002", conversation="c2")

    first, second = logged_turns(sessions)
    assert (first.team_id, first.user_id, first.conversation_id) == (TEAM, "U0001", "c1")
    assert (first.model, first.chain, first.prompt_version) == ("scripted", "scripted", "v3")
    assert (first.model_calls, first.tool_calls, first.outcome) == (1, 1, "ok")
    assert first.input_tokens > 0 and first.output_tokens > 0
    # A scripted model is no provider: nothing was billed and nothing was degraded.
    assert (first.provider_tokens, first.cost_usd) == (0, None)
    assert (first.degraded, first.degraded_reason) == (False, None)
    assert before <= first.created_at.astimezone(UTC) <= datetime.now(UTC) + timedelta(seconds=1)
    assert (second.user_id, second.conversation_id) == ("U0002", "c2")
    assert (second.model_calls, second.tool_calls, second.outcome) == (1, 0, "ok")
    assert first.id is not None and second.id is not None and second.id > first.id


def test_a_turn_row_fills_every_column_but_the_id() -> None:
    row = scripted_turn_row("c1")
    columns = TurnRecord.metadata.tables[TurnRecord.__tablename__].columns
    assert set(row) == {column.name for column in columns} - {"id"}
