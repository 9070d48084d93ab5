"""What one clause of a message turns into: actions to take, or a reply."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ReplyKind(Enum):
    """Why a clause answers with words instead of a tool call."""

    CHAT = "chat"
    """Small talk, help or an off-topic request: ignored when other clauses act."""
    CLARIFY = "clarify"
    """The request is ambiguous or incomplete: nothing is done until the person says more."""
    UNKNOWN = "unknown"
    """The clause did not read as anything the parser knows."""


@dataclass(frozen=True)
class Reply:
    """A clause that answers with words."""

    text: str
    kind: ReplyKind


@dataclass(frozen=True)
class Action:
    """A tool call planned from one clause.

    `args["task_id"]` may still be a `slots.Pronoun` ("it") that the parser resolves against the
    message and the conversation. `colon_title` is set on a create whose title followed an
    explicit marker ("add a task: ..."), so that later words stay part of the title; `list_header`
    marks "add these:" with no title yet, after which bare lines become tasks.
    """

    tool: str
    args: dict[str, object] = field(default_factory=dict[str, object])
    colon_title: bool = False
    list_header: bool = False


ClauseResult = list[Action] | Reply | None
