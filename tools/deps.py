"""What every tool needs from the turn: the database, and who is speaking, where and when."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session


class TurnCreates:
    """The tasks a turn created so far, so that each create knows its ordinal in the turn
    (`TaskService.create_task(ordinal=...)`): a turn re-run after a crash counts afresh, so its
    n-th create finds the task of the original's n-th."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    @contextmanager
    def next(self) -> Generator[int]:
        """The ordinal of the create made inside the block; counted only when the block ends
        without an error (a refused create is not one). Creates of one turn take turns, so
        that two parallel calls never get the same ordinal."""
        with self._lock:
            yield self.count + 1
            self.count += 1


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
    # The request behind the turn (an HTTP request id, a Slack event), for the audit log; a
    # Slack event's delivery key also makes the turn's creates idempotent (`TaskService`).
    request_id: str | None = None
    # Whether the turn may be run again in full for the same request, so that its creates
    # must be idempotent: None lets `TaskService` tell from the request id (a Slack event's
    # delivery key); True for a queued `/task` command, whose job a turn worker may take over.
    replayable: bool | None = None
    # Shared by copies of the deps (`dataclasses.replace`), so one turn counts once.
    creates: TurnCreates = field(default_factory=TurnCreates, compare=False, repr=False)
