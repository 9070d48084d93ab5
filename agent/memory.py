"""Conversation memory: the message history of each conversation, kept in the database."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, cast

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    UserPromptPart,
)
from sqlalchemy import JSON, Column, String, Text, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Field, Session, SQLModel

from tasks.models import ID_CHARS, utcnow
from tasks.types import UTCDateTime


class Conversation(SQLModel, table=True):
    """One conversation's history, scoped to its team."""

    __tablename__: ClassVar[str] = "conversations"  # pyright: ignore[reportIncompatibleVariableOverride]

    team_id: str = Field(sa_column=Column(String(ID_CHARS), primary_key=True))
    conversation_id: str = Field(sa_column=Column(String(255), primary_key=True))
    # The pydantic-ai message history, as `ModelMessagesTypeAdapter` writes it.
    messages: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    # Tool calls waiting for the person's confirmation: tool_call_id, tool and args.
    pending: list[dict[str, Any]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


@dataclass
class ConversationState:
    """What a turn starts from: the earlier messages and any call awaiting confirmation."""

    messages: list[ModelMessage] = field(default_factory=list[ModelMessage])
    pending: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])


# Built once; each turn binds its own team and conversation. The two columns a turn starts
# from are read as a plain row: nothing in the turn changes it, so the ORM's identity map and
# object set-up would be work for nothing.
_CONVERSATIONS = Conversation.metadata.tables[Conversation.__tablename__]
_SELECT_STATE = select(_CONVERSATIONS.c.messages, _CONVERSATIONS.c.pending).where(
    _CONVERSATIONS.c.team_id == bindparam("team_id"),
    _CONVERSATIONS.c.conversation_id == bindparam("conversation_id"),
)


def load_conversation(session: Session, *, team_id: str, conversation_id: str) -> ConversationState:
    """The stored state of a conversation, empty when it is new."""
    row = (
        session.connection()
        .execute(_SELECT_STATE, {"team_id": team_id, "conversation_id": conversation_id})
        .first()
    )
    if row is None:
        return ConversationState()
    stored = cast("str", row.messages)
    pending = cast("list[dict[str, Any]] | None", row.pending)
    messages = ModelMessagesTypeAdapter.validate_json(stored)
    return ConversationState(messages=list(messages), pending=list(pending or []))


def trim_history(messages: list[ModelMessage], *, max_messages: int) -> list[ModelMessage]:
    """Keep at most `max_messages`, starting at a person's message so no tool call is cut in two."""
    if len(messages) <= max_messages:
        return messages
    if max_messages == 0:
        return []
    for start in range(len(messages) - max_messages, len(messages)):
        message = messages[start]
        if isinstance(message, ModelRequest) and any(
            isinstance(part, UserPromptPart) for part in message.parts
        ):
            return messages[start:]
    return []


def conversation_values(
    *,
    team_id: str,
    conversation_id: str,
    messages: list[ModelMessage],
    pending: list[dict[str, Any]],
    max_messages: int,
) -> dict[str, Any]:
    """The stored row of a conversation after a turn: its history bounded in length (kept
    whole while a call awaits confirmation), as `ModelMessagesTypeAdapter` writes it."""
    kept = messages if pending else trim_history(messages, max_messages=max_messages)
    return {
        "team_id": team_id,
        "conversation_id": conversation_id,
        "messages": ModelMessagesTypeAdapter.dump_json(kept).decode(),
        "pending": pending or None,
        "updated_at": utcnow(),
    }


def save_conversation(
    session: Session,
    *,
    team_id: str,
    conversation_id: str,
    messages: list[ModelMessage],
    pending: list[dict[str, Any]],
    max_messages: int,
) -> None:
    """Store the conversation after a turn, bounded in length.

    One statement, whether or not the conversation is stored already: an insert that updates
    the row when it exists (PostgreSQL and SQLite), so the turn needs no read before it. Two
    turns of one new conversation that end together both land; the later write wins.
    """
    values = conversation_values(
        team_id=team_id,
        conversation_id=conversation_id,
        messages=messages,
        pending=pending,
        max_messages=max_messages,
    )
    upsert = _upsert(session.get_bind().dialect.name)
    if upsert is not None:
        # On the session's connection, in its transaction: no ORM object is involved.
        session.connection().execute(upsert, values)
        return
    row = session.get(Conversation, (team_id, conversation_id))
    if row is None:
        row = Conversation(team_id=team_id, conversation_id=conversation_id)
    row.messages = values["messages"]
    row.pending = values["pending"]
    row.updated_at = values["updated_at"]
    session.add(row)


# The columns a stored conversation's next turn replaces.
_UPDATED = ("messages", "pending", "updated_at")


@functools.cache
def _upsert(dialect: str) -> Insert | None:
    """The insert-or-update of a conversation on `dialect`, built once (its values are bound
    per call); None where the database has no such statement."""
    if dialect not in ("postgresql", "sqlite"):
        return None
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Conversation)
    return insert.on_conflict_do_update(
        index_elements=["team_id", "conversation_id"],
        set_={name: insert.excluded[name] for name in _UPDATED},
    )
