"""The REST API's models: Base/Create/Update/Public families with limits on every field.

Inputs forbid unknown fields. In `TaskUpdate` only the fields a request sends change anything
(`model_fields_set`); `description` and `due` may be sent as null to clear them, while the
other fields cannot be null.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.json_schema import SkipJsonSchema

from tasks.enums import TaskPriority, TaskStatus
from tasks.models import DESCRIPTION_MAX_CHARS, TAG_MAX_CHARS, TAGS_MAX, TITLE_MAX_CHARS

USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Creators may also be integrations (`apikey:<prefix>`).
ACTOR_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
DUE_MAX_CHARS = 100
AGENT_TEXT_MAX_CHARS = 4000

# Page cursors are base-62 numbers; every string the pattern admits is a usable cursor (one
# past the last item gives an empty page), so no cursor a client sends is ever refused.
CURSOR_PATTERN = r"^[0-9A-Za-z]{1,11}$"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The largest id a cursor names; larger ones are read as this (past every row).
CURSOR_MAX = 2**63 - 1


def to_base62(number: int) -> str:
    """`number` (0 or more) in base 62."""
    digits = ""
    while True:
        number, digit = divmod(number, 62)
        digits = _BASE62[digit] + digits
        if number == 0:
            return digits


def from_base62(text: str) -> int:
    """The number a base-62 cursor names, at most `CURSOR_MAX`."""
    number = 0
    for char in text:
        number = number * 62 + _BASE62.index(char)
    return min(number, CURSOR_MAX)


# PostgreSQL cannot store NUL characters in text, so no string field accepts them.
NO_NUL = r"^[^\x00]*$"

Title = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=TITLE_MAX_CHARS, pattern=NO_NUL
    ),
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_CHARS, pattern=NO_NUL)]
Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=TAG_MAX_CHARS, pattern=NO_NUL
    ),
]
Tags = Annotated[list[Tag], Field(max_length=TAGS_MAX)]
UserId = Annotated[str, StringConstraints(pattern=USER_ID_PATTERN)]
Due = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=DUE_MAX_CHARS, pattern=NO_NUL
    ),
    Field(
        description="An ISO date (`2026-12-03`, all-day), an ISO datetime (with an offset, or "
        "read in `timezone`), or a phrase such as `next friday 5pm`.",
        examples=["2026-12-03", "2026-12-03T17:00:00-05:00", "tomorrow 5pm"],
    ),
]
TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$"),
    Field(description="The IANA zone dates without an offset are read in."),
]


def _iso_only(value: object) -> object:
    # Pydantic would read "0.5" as a Unix timestamp; the API takes ISO 8601 only.
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError("Use an ISO 8601 date-time, such as 2026-12-03T17:00:00Z.") from None
    return value


# A date-time query parameter (ISO 8601; without an offset it is read as UTC).
QueryTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value[:64]}' is not a known IANA time zone.") from None
    return value


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskBase(_Input):
    """Fields a task is created with."""

    title: Title
    description: Description | None = None
    priority: TaskPriority = TaskPriority.normal
    tags: Tags = Field(default_factory=list[str])


class TaskCreate(TaskBase):
    """`POST /api/v1/tasks`."""

    assignee: UserId | None = Field(default=None, description="A Slack user id of the team.")
    due: Due | None = None
    timezone: TimeZoneName = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)


class TaskUpdate(_Input):
    """`PATCH /api/v1/tasks/{id}`: only the fields sent change.

    Null clears `description` and `due`; `title`, `priority`, `status` and `tags` cannot be
    null (send `[]` to remove every tag). Read a field only when it is in `model_fields_set`.
    """

    # `SkipJsonSchema[None]` keeps null out of these fields' schema; `_not_null` refuses it.
    title: Title | SkipJsonSchema[None] = None
    description: Description | None = None
    priority: TaskPriority | SkipJsonSchema[None] = None
    status: TaskStatus | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    due: Due | None = None
    timezone: TimeZoneName = "UTC"

    @field_validator("title", "priority", "status", "tags", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("This field cannot be null; leave it out to keep it as it is.")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _check_zone(value)


class TaskAssign(_Input):
    """`POST /api/v1/tasks/{id}/assign`: null unassigns."""

    assignee: UserId | None


class TaskPublic(BaseModel):
    """A task as the API returns it (the same shape as `taskpilot tasks list --json`)."""

    id: int = Field(ge=1, description="The task's number in its team.")
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    assignee: str | None
    creator: str
    due: str | None = Field(description="`YYYY-MM-DD` for all-day, else an ISO datetime.")
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class TaskPage(BaseModel):
    """One page of tasks, in ascending id order."""

    items: list[TaskPublic]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class AgentTurnCreate(_Input):
    """`POST /api/v1/agent/turns`: one message from a person of the key's team."""

    user: UserId | None = Field(
        default=None,
        description=(
            "The Slack user id the turn speaks as. A key bound to a member speaks as that "
            "member (leave this out, or give that id); a key with the `agent:act_as` scope "
            "names any active person of its team here."
        ),
    )
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=AGENT_TEXT_MAX_CHARS, pattern=NO_NUL)
    ]
    conversation_id: (
        Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,100}$")] | None
    ) = Field(default=None, description="Turns with the same id share memory; default per user.")


class ToolCallPublic(BaseModel):
    """One tool call of a turn."""

    tool: str
    args: dict[str, Any]
    ok: bool


class AgentTurnPublic(BaseModel):
    """What a turn did: the `taskpilot chat --once --json` contract plus the task cards."""

    reply: str
    tool_calls: list[ToolCallPublic]
    model: str
    prompt_version: str
    cards: list[dict[str, Any]]
    conversation_id: str
    pending_confirmation: str | None = Field(
        default=None, description="The question to answer (yes/no) before a delete runs."
    )


class AssigneeStats(BaseModel):
    """Counts for one assignee (null: unassigned)."""

    assignee: str | None
    open: int = Field(ge=0)
    overdue: int = Field(ge=0)
    done: int = Field(ge=0, description="Done in the weeks covered.")


class WeekStats(BaseModel):
    """Counts for one ISO week."""

    week: str = Field(description="The ISO week, `2026-W48`.")
    starts_on: date
    created: int = Field(ge=0)
    done: int = Field(ge=0, description="Tasks done whose last change fell in the week.")


class StatsPublic(BaseModel):
    """`GET /api/v1/stats`."""

    generated_at: datetime
    open: int = Field(ge=0)
    overdue: int = Field(ge=0)
    done: int = Field(ge=0, description="Done in the weeks covered.")
    weeks: list[WeekStats]
    assignees: list[AssigneeStats]


class AuditEventPublic(BaseModel):
    """One audit event: who did what, when, through which path, with what changes."""

    id: int
    at: datetime
    team: str
    actor: str
    action: str
    task: int | None = Field(description="The task's number, for task events.")
    subject: str | None = Field(description="The API key's prefix, for key events.")
    changes: dict[str, list[Any]] = Field(description="field -> [before, after].")
    source: str
    request_id: str | None
    api_key: str | None = Field(
        default=None,
        description="The prefix of the API key behind the change, when one was (an agent turn "
        "through the REST API names the member as actor and the key here).",
    )


class AuditPage(BaseModel):
    """One page of audit events, oldest first."""

    items: list[AuditEventPublic]
    next_cursor: str | None
