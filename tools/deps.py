"""What every tool needs from the turn: the database, and who is speaking, where and when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session


@dataclass(kw_only=True)
class ToolDeps:
    """The verified facts of a turn. Team and actor come from the transport, never the model."""

    session_factory: Callable[[], Session]
    team_id: str
    actor_id: str
    # The speaker's wall-clock time, aware, in the speaker's own zone.
    now: datetime
    source: str = "cli"
    channel_id: str | None = None
    thread_ts: str | None = None
    # The request behind the turn (an HTTP request id, a Slack event), for the audit log.
    request_id: str | None = None
