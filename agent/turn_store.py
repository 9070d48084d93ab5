"""What a finished turn leaves behind: its conversation's state and its record in the turn log,
written together so that both land or neither does."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import ModelMessage
from sqlalchemy import Insert, bindparam, insert
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from agent.memory import Conversation, conversation_values, save_conversation
from agent.turn_log import TurnRecord, TurnRow, record_turn

# The columns of each table the combined statement writes; a turn record's id is the database's.
_CONVERSATION_COLUMNS = ("team_id", "conversation_id", "messages", "pending", "updated_at")
_UPDATED = ("messages", "pending", "updated_at")


def store_turn(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    conversation_id: str,
    messages: list[ModelMessage],
    pending: list[dict[str, Any]],
    max_messages: int,
    record: TurnRow,
) -> None:
    """Store the conversation after a turn (see `save_conversation`) and the turn's record
    (a `TurnRow`).

    On PostgreSQL both go out as one statement (the conversation's upsert in a `WITH` clause
    ahead of the record's insert) on a connection without a transaction of its own: one
    statement is atomic by itself, so the BEGIN, the second statement and the COMMIT, three
    round trips of four, are saved. Elsewhere the two statements share one transaction.
    """
    with session_factory() as session:
        if session.get_bind().dialect.name == "postgresql":
            values = conversation_values(
                team_id=team_id,
                conversation_id=conversation_id,
                messages=messages,
                pending=pending,
                max_messages=max_messages,
            )
            parameters = {f"conversation_{name}": values[name] for name in _CONVERSATION_COLUMNS}
            for name, value in record.items():
                parameters[f"turn_{name}"] = value
            connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            connection.execute(_combined_statement(), parameters)
            return
        with session.begin():
            save_conversation(
                session,
                team_id=team_id,
                conversation_id=conversation_id,
                messages=messages,
                pending=pending,
                max_messages=max_messages,
            )
            record_turn(session, record=record)


@functools.cache
def _combined_statement() -> Insert:
    """PostgreSQL's one statement for both writes, built once; its values are bound per call
    as `conversation_<column>` and `turn_<column>`."""
    conversations = Conversation.metadata.tables[Conversation.__tablename__]
    turns = TurnRecord.metadata.tables[TurnRecord.__tablename__]
    upsert = postgresql.insert(conversations).values(
        {name: bindparam(f"conversation_{name}") for name in _CONVERSATION_COLUMNS}
    )
    saved = upsert.on_conflict_do_update(
        index_elements=["team_id", "conversation_id"],
        set_={name: upsert.excluded[name] for name in _UPDATED},
    ).cte("saved_conversation")
    columns = [column.name for column in turns.columns if column.name != "id"]
    return (
        insert(turns).values({name: bindparam(f"turn_{name}") for name in columns}).add_cte(saved)
    )
