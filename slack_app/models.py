"""Tables the Slack app keeps: installations, OAuth states, event deliveries, sent reminders.

The migration `core/migrations/versions/0004_slack.py` is written out by hand from these
classes; a test compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Column, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from tasks.models import ID_CHARS, utcnow
from tasks.types import UTCDateTime


class SlackInstallation(SQLModel, table=True):
    """One installation of the app (OAuth), with every token in `data` encrypted.

    The plain columns are what lookups need; `data` is the whole `slack_sdk` Installation as
    JSON, encrypted with the token key (`slack_app.install.crypto`).
    """

    __tablename__: ClassVar[str] = "slack_installations"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        Index(
            "ix_slack_installations_lookup",
            "client_id",
            "enterprise_id",
            "team_id",
            "installed_at",
        ),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    client_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    enterprise_id: str | None = Field(
        default=None, sa_column=Column(String(ID_CHARS), nullable=True)
    )
    team_id: str | None = Field(default=None, sa_column=Column(String(ID_CHARS), nullable=True))
    user_id: str | None = Field(default=None, sa_column=Column(String(ID_CHARS), nullable=True))
    is_enterprise_install: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    has_bot: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    bot_user_id: str | None = Field(default=None, sa_column=Column(String(ID_CHARS), nullable=True))
    data: str = Field(sa_column=Column(Text, nullable=False))
    installed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class SlackOAuthState(SQLModel, table=True):
    """An OAuth `state` handed out by `/slack/install`, valid once and for a short time."""

    __tablename__: ClassVar[str] = "slack_oauth_states"  # pyright: ignore[reportIncompatibleVariableOverride]

    state: str = Field(sa_column=Column(String(200), primary_key=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class SlackDelivery(SQLModel, table=True):
    """One Slack event (team and `event_id`) some replica claimed, so that retries are dropped.

    `status` is `claimed` while a replica works on it and `done` afterwards; a claim older than
    the lease may be taken over by a retry, so that an event whose replica died is not lost.
    """

    __tablename__: ClassVar[str] = "slack_deliveries"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        Index("ix_slack_deliveries_claimed_at", "claimed_at"),
    )

    key: str = Field(sa_column=Column(String(200), primary_key=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    owner: str = Field(sa_column=Column(String(100), nullable=False))
    attempts: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    done_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class TaskReminder(SQLModel, table=True):
    """A reminder sent (or being sent) for a task's due date; one per task, kind and due date."""

    __tablename__: ClassVar[str] = "task_reminders"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        UniqueConstraint("team_id", "task_number", "kind", "due_at", name="uq_task_reminders_once"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    task_number: int = Field(sa_column=Column(Integer, nullable=False))
    # `due_soon` or `overdue`.
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    assignee_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    # `sending` while a replica posts it, then `sent` or `failed`.
    status: str = Field(default="sending", sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
