"""SQLModel tables of the task domain.

The migrations in `core/migrations/versions` are written out by hand from these classes; a test
compares the two, so a change here needs a new migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, Index, Integer, String, Text
from sqlalchemy import UniqueConstraint as SAUniqueConstraint
from sqlmodel import Field, SQLModel

from tasks.enums import TaskPriority, TaskStatus
from tasks.types import StrEnumType, UTCDateTime

TITLE_MAX_CHARS = 200
DESCRIPTION_MAX_CHARS = 4000
TAGS_MAX = 10
TAG_MAX_CHARS = 40

# Slack ids are short (U02ABCDEF, T0123), but other sources (API keys, evals) may use longer ones.
ID_CHARS = 64
# `Task.origin_key`: a request id and the ordinal of the create within it.
ORIGIN_KEY_CHARS = 200


class AuditAction(StrEnum):
    """What a mutation did."""

    create = "create"
    update = "update"
    assign = "assign"
    delete = "delete"
    key_created = "key_created"
    key_rotated = "key_rotated"
    key_revoked = "key_revoked"
    key_used_new_ip = "key_used_new_ip"


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def _in_values(column: str, enum_class: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum_class)
    return f"{column} IN ({values})"


class Task(SQLModel, table=True):
    """A task; `number` is the per-team id people, tools and JSON contracts see."""

    __tablename__: ClassVar[str] = "tasks"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        SAUniqueConstraint("team_id", "number", name="uq_tasks_team_number"),
        # One task per origin (see `origin_key`); NULLs never collide, so tasks without an
        # origin are not constrained (PostgreSQL and SQLite alike).
        SAUniqueConstraint("team_id", "origin_key", name="uq_tasks_team_origin"),
        CheckConstraint("number > 0", name="ck_tasks_number_positive"),
        CheckConstraint(_in_values("status", TaskStatus), name="ck_tasks_status"),
        CheckConstraint(_in_values("priority", TaskPriority), name="ck_tasks_priority"),
        Index("ix_tasks_team_status", "team_id", "status"),
        Index("ix_tasks_team_assignee", "team_id", "assignee_id"),
        Index("ix_tasks_team_creator", "team_id", "creator_id"),
        Index("ix_tasks_team_due", "team_id", "due_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    number: int = Field(sa_column=Column(Integer, nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX_CHARS), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: TaskStatus = Field(
        default=TaskStatus.open,
        sa_column=Column(StrEnumType(TaskStatus), nullable=False),
    )
    priority: TaskPriority = Field(
        default=TaskPriority.normal,
        sa_column=Column(StrEnumType(TaskPriority), nullable=False),
    )
    assignee_id: str | None = Field(default=None, sa_column=Column(String(ID_CHARS), nullable=True))
    creator_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    due_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    due_all_day: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    due_tz: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source_channel: str | None = Field(
        default=None, sa_column=Column(String(ID_CHARS), nullable=True)
    )
    source_thread: str | None = Field(
        default=None, sa_column=Column(String(ID_CHARS), nullable=True)
    )
    # The replayable request that created the task and which of its creates it was,
    # "{request_id}#{ordinal}" (e.g. "T0123:Ev0456#1" for a Slack event's first create), so
    # that a re-run of the request finds the task instead of creating it again; None for
    # requests that are never re-run (see `TaskService.create_task`).
    origin_key: str | None = Field(
        default=None, sa_column=Column(String(ORIGIN_KEY_CHARS), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


@dataclass(frozen=True, slots=True)
class TaskRow:
    """The columns of a task that its public record shows, read straight from a query's row
    (`TaskService.list_task_rows`) without building and tracking a `Task`. Not a table."""

    number: int
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    assignee_id: str | None
    creator_id: str
    due_at: datetime | None
    due_all_day: bool
    due_tz: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class AuditEvent(SQLModel, table=True):
    """One mutation: who, when, through which path, what changed (field -> [old, new]).

    Task events name the task (`task_number`); API key events name the key (`subject`, its
    visible prefix). `request_id` ties the event to the HTTP request or Slack event behind it.
    """

    __tablename__: ClassVar[str] = "audit_events"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        CheckConstraint(_in_values("action", AuditAction), name="ck_audit_events_action"),
        Index("ix_audit_events_team_task", "team_id", "task_number"),
        Index("ix_audit_events_team_created", "team_id", "created_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    task_number: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    subject: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    actor_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    action: AuditAction = Field(
        sa_column=Column(StrEnumType(AuditAction, length=32), nullable=False)
    )
    changes: dict[str, list[Any]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    source: str = Field(sa_column=Column(String(32), nullable=False))
    request_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    # The visible prefix of the API key behind the change, when one was (an agent turn run
    # through the REST API names the member as actor and the key here).
    api_key: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ApiKey(SQLModel, table=True):
    """An API key of one team: only its hash is stored; `prefix` is the part people see.

    A rotated key keeps working until `grace_until`; a revoked one stops at once.
    """

    __tablename__: ClassVar[str] = "api_keys"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        SAUniqueConstraint("prefix", name="uq_api_keys_prefix"),
        Index("ix_api_keys_team", "team_id"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    team_id: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    name: str = Field(sa_column=Column(String(100), nullable=False))
    prefix: str = Field(sa_column=Column(String(32), nullable=False))
    # SHA-256 of the whole key, hex; keys are 256 random bits, so no slow hash is needed.
    key_hash: str = Field(sa_column=Column(String(64), nullable=False))
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The one member an `agent:run` key speaks as in agent turns, when it is bound to one.
    member_id: str | None = Field(default=None, sa_column=Column(String(ID_CHARS), nullable=True))
    created_by: str = Field(sa_column=Column(String(ID_CHARS), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    grace_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    replaced_by: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    last_used_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    last_used_ip: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))


class IdempotencyRecord(SQLModel, table=True):
    """The stored response of a POST made with an `Idempotency-Key`, per API key."""

    __tablename__: ClassVar[str] = "idempotency_records"  # pyright: ignore[reportIncompatibleVariableOverride]

    api_key_id: int = Field(sa_column=Column(Integer, primary_key=True))
    key: str = Field(sa_column=Column(String(255), primary_key=True))
    # SHA-256 of method, path and body: the same key with another request is refused.
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    # `in_progress` while the first request runs, then `done`.
    state: str = Field(sa_column=Column(String(16), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    response_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class DirectoryUser(SQLModel, table=True):
    """A person (or bot) of a Slack team, as the workspace directory knows them."""

    __tablename__: ClassVar[str] = "directory_users"  # pyright: ignore[reportIncompatibleVariableOverride]
    __table_args__: ClassVar[tuple[Any, ...]] = (
        Index("ix_directory_users_team_handle", "team_id", "handle"),
    )

    team_id: str = Field(sa_column=Column(String(ID_CHARS), primary_key=True))
    user_id: str = Field(sa_column=Column(String(ID_CHARS), primary_key=True))
    handle: str = Field(sa_column=Column(String(80), nullable=False))
    real_name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    display_name: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    tz: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    is_bot: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    deleted: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
