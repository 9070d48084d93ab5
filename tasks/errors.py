"""Errors the task domain raises; `str(err)` is always a sentence a person can read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict


class UserCandidate(TypedDict):
    """A person an ambiguous or unknown reference might have meant."""

    id: str
    handle: str
    name: str


class TaskError(Exception):
    """Base of every domain error; the message is shown to people as it is."""

    # A stable name for the kind of error, for programs (tool results, APIs) to branch on.
    kind: str = "task_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TaskNotFound(TaskError):
    """No task with that number in the caller's team (other teams are never revealed)."""

    kind = "not_found"

    def __init__(self, number: int) -> None:
        super().__init__(f"There is no task #{number} in this workspace.")
        self.number = number


class PermissionDenied(TaskError):
    """The actor may not do this to this task; the message says who may."""

    kind = "permission_denied"


class InvalidTaskInput(TaskError):
    """A field value breaks a rule (length, allowed values, ...)."""

    kind = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownUser(TaskError):
    """A person reference matched nobody who can be given tasks."""

    kind = "unknown_user"

    def __init__(self, message: str, *, candidates: Sequence[UserCandidate] = ()) -> None:
        super().__init__(message)
        self.candidates: list[UserCandidate] = list(candidates)


class AmbiguousUser(TaskError):
    """A person reference matched several people; `candidates` lists them."""

    kind = "ambiguous_user"

    def __init__(self, message: str, *, candidates: Sequence[UserCandidate] = ()) -> None:
        super().__init__(message)
        self.candidates: list[UserCandidate] = list(candidates)


class DueDateError(TaskError):
    """A due date that cannot be understood or does not exist (e.g. February 31)."""

    kind = "bad_due_date"
