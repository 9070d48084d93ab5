"""The two JSON views of a task: the card tools return and Slack shows (`TaskCard`), and the
public record the CLI prints and the REST API validates into `TaskPublic` (`TaskRecord`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from typing import TypedDict

from tasks.directory import UserDirectory
from tasks.due_dates import due_of
from tasks.models import Task, TaskRow


class TaskCard(TypedDict):
    """A task as tools return it and transports render it, times in the reader's zone."""

    id: int
    title: str
    description: str | None
    status: str
    priority: str
    assignee: str | None
    assignee_name: str | None
    creator: str
    due: str | None
    """`YYYY-MM-DD` for an all-day task, else an ISO datetime with the reader's offset."""
    due_all_day: bool
    tags: list[str]


class TaskRecord(TypedDict):
    """The public JSON of a task: `taskpilot tasks list --json` and the REST API's body."""

    id: int
    title: str
    description: str | None
    status: str
    priority: str
    assignee: str | None
    creator: str
    due: str | None
    tags: list[str]
    created_at: str
    updated_at: str


def due_text(task: Task | TaskRow, *, tz: tzinfo | None) -> str | None:
    """`YYYY-MM-DD` for an all-day task (the day it was given for), an ISO datetime with the
    offset of `tz` otherwise, None without a due date."""
    due = due_of(task)
    if due is None:
        return None
    if due.all_day:
        return due.day.isoformat()
    return due.at.astimezone(tz or UTC).isoformat(timespec="seconds")


def task_card(
    task: Task,
    *,
    tz: tzinfo | None,
    directory: UserDirectory | None = None,
    names: Mapping[str, str] | None = None,
) -> TaskCard:
    """The card of a task, with times in the reader's zone `tz`.

    Keys: id, title, description, status, priority, assignee, assignee_name, creator, due,
    due_all_day, tags. `assignee_name` comes from `names` when given, else `directory`.
    """
    assignee_name: str | None = None
    if task.assignee_id is not None:
        if names is not None and task.assignee_id in names:
            assignee_name = names[task.assignee_id]
        elif directory is not None:
            assignee_name = directory.display_name_of(task.assignee_id)
        else:
            assignee_name = task.assignee_id
    return {
        "id": task.number,
        "title": task.title,
        "description": task.description,
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee": task.assignee_id,
        "assignee_name": assignee_name,
        "creator": task.creator_id,
        "due": due_text(task, tz=tz),
        "due_all_day": task.due_all_day if task.due_at is not None else False,
        "tags": list(task.tags),
    }


def task_cards(
    tasks: Sequence[Task], *, tz: tzinfo | None, directory: UserDirectory
) -> list[TaskCard]:
    """Cards of many tasks, looking the assignees' names up in one query."""
    names = directory.names_of(task.assignee_id for task in tasks if task.assignee_id)
    return [task_card(task, tz=tz, names=names) for task in tasks]


def task_record(task: Task | TaskRow, *, tz: tzinfo | None = None) -> TaskRecord:
    """The public JSON of a task (`taskpilot tasks list --json`): id, title, description,
    status, priority, assignee, creator, due, tags, created_at, updated_at. The same for a
    `Task` and for the `TaskRow` of the same task."""
    return {
        "id": task.number,
        "title": task.title,
        "description": task.description,
        "status": task.status.value,
        "priority": task.priority.value,
        "assignee": task.assignee_id,
        "creator": task.creator_id,
        "due": due_text(task, tz=tz if tz is not None else _given_zone(task)),
        "tags": list(task.tags),
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
    }


def _given_zone(task: Task | TaskRow) -> tzinfo:
    due = due_of(task)
    if due is None:
        return UTC
    return due.at.tzinfo or UTC
