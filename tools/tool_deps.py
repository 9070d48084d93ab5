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


class TurnDeletions:
    """The tasks a turn deleted, or asked the person to confirm deleting: no other call of the
    turn touches them. A plan that deletes #4 and then updates it does not update a task that
    is gone, or about to go, once the person says yes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deleted: set[int] = set()
        self._awaiting: set[int] = set()

    def awaiting(self, number: int) -> None:
        """Task #`number` waits for the person to confirm its deletion."""
        with self._lock:
            self._awaiting.add(number)

    def deleted(self, number: int) -> None:
        """Task #`number` was deleted in this turn."""
        with self._lock:
            self._awaiting.discard(number)
            self._deleted.add(number)

    def why_untouchable(self, number: int) -> str | None:
        """Why no call of this turn may act on task #`number` any more; None if it may."""
        with self._lock:
            if number in self._deleted:
                return f"#{number} was deleted in this turn, so this call did not run."
            if number in self._awaiting:
                return (
                    f"#{number} is waiting for the person to confirm its deletion, so this call "
                    "did not run."
                )
        return None


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
    # Whether the turn may be run again in full for the same request (a Slack event's delivery,
    # a queued `/task` command a turn worker may take over), so that its creates must be
    # idempotent. The transport says so; nothing guesses from the request id.
    replayable: bool = False
    # What the caller may do at all (`tasks:read`, `tasks:write`), for a turn run with an API
    # key: the key's scopes. None (Slack, the CLI): whatever the person may.
    grants: frozenset[str] | None = None
    # The visible prefix of that API key, which the turn's audit events name.
    api_key: str | None = None
    # Shared by copies of the deps (`dataclasses.replace`), so one turn counts once.
    creates: TurnCreates = field(default_factory=TurnCreates, compare=False, repr=False)
    deletions: TurnDeletions = field(default_factory=TurnDeletions, compare=False, repr=False)
