"""The record of every agent turn: who asked, which model and prompt served, what it cost.

Budgets read it (`agent.budgets`), and operators query it to see what a turn did.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, TypedDict

from sqlalchemy import Boolean, Column, Float, Index, Integer, String, func, insert
from sqlmodel import Field, Session, SQLModel, select

from tasks.models import ID_CHARS, utcnow
from tasks.types import UTCDateTime


class TurnRecord(SQLModel, table=True):
    """One turn of the agent."""

    __tablename__: ClassVar[str] = "agent_turns"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__ = (
        Index("ix_agent_turns_team_user_created", "team_id", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    user_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    conversation_id: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # The link that answered the turn's last model call ("openai/gpt-4.1-mini", "offline").
    model: str = Field(sa_column=Column(String(200), nullable=False))
    # The chain the runtime was built with, as configured.
    chain: str = Field(sa_column=Column(String(500), nullable=False))
    prompt_version: str = Field(sa_column=Column(String(50), nullable=False))
    model_calls: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    tool_calls: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    input_tokens: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    output_tokens: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # Tokens that providers billed (the offline model's estimates are left out); budgets
    # count these.
    provider_tokens: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # LiteLLM's price table times the tokens; None when a model is not in it.
    cost_usd: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    degraded: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    # "providers_failed" or "budget" when degraded.
    degraded_reason: str | None = Field(default=None, sa_column=Column(String(50), nullable=True))
    # "ok", "failed" (the turn raised), "limit" (it hit a usage limit).
    outcome: str = Field(default="ok", sa_column=Column(String(20), nullable=False))


# Built once; each turn binds its own values. A turn's record is written and never read back
# in the same session, so it goes out as a plain insert, without the ORM's unit of work.
_INSERT_TURN = insert(TurnRecord)


class TurnRow(TypedDict):
    """A turn's row for `record_turn`, made without the table model: the columns of
    `TurnRecord` but its id, by name.

    The model's constructor validates every field and sets each one through SQLAlchemy's
    attribute instrumentation, a tenth of a millisecond per turn for a row that is only
    inserted; here every value is typed already.
    """

    team_id: str
    user_id: str
    conversation_id: str
    created_at: datetime
    model: str
    chain: str
    prompt_version: str
    model_calls: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    provider_tokens: int
    cost_usd: float | None
    degraded: bool
    degraded_reason: str | None
    outcome: str


def record_turn(session: Session, *, record: TurnRecord | TurnRow) -> None:
    """Store one turn's record (a `TurnRecord`, whose id stays None, or a `TurnRow`); the
    caller's transaction commits it."""
    row = record.model_dump(exclude={"id"}) if isinstance(record, TurnRecord) else record
    session.connection().execute(_INSERT_TURN, row)


def provider_tokens_since(
    session: Session, *, team_id: str, since: datetime, user_id: str | None = None
) -> int:
    """Provider tokens the team (or one of its people) spent since `since`."""
    query = select(func.coalesce(func.sum(TurnRecord.provider_tokens), 0)).where(
        TurnRecord.team_id == team_id,  # pyright: ignore[reportArgumentType]
        TurnRecord.created_at >= since,  # pyright: ignore[reportArgumentType, reportOperatorIssue]
    )
    if user_id is not None:
        query = query.where(TurnRecord.user_id == user_id)  # pyright: ignore[reportArgumentType]
    return int(session.exec(query).one())
