"""The arguments of `TaskService.list_tasks` and `TaskService.list_task_rows`: the filters,
the order and the page size of a list of one team's tasks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, TypedDict

from tasks.enums import TaskPriority, TaskStatus

__all__ = ["TaskFilters", "TaskListing"]


class TaskFilters(TypedDict, total=False):
    """Filters on one team's tasks; a task is kept when it matches every one given."""

    assignee_id: str | None
    creator_id: str | None
    # One value or several; None (the default): any.
    status: TaskStatus | str | Iterable[TaskStatus | str] | None
    priority: TaskPriority | str | Iterable[TaskPriority | str] | None
    # `due_after` is inclusive and `due_before` exclusive, so `[monday, next monday)` is a week.
    due_before: datetime | None
    due_after: datetime | None
    # Tasks whose title or description contains every word, ignoring case.
    query: str | None
    # Open and in-progress tasks due before that instant (an all-day task is overdue once its
    # day is over).
    overdue_at: datetime | None
    unassigned: bool
    # Tasks that have that tag, read as tags are stored ("#Finance" is "finance").
    tag: str | None
    # Tasks numbered above it: with `order="number"`, the last number of a page gives the next.
    after_number: int | None


class TaskListing(TaskFilters, total=False):
    """Filters, plus the order and the page size (default: due ones first, 20)."""

    order: Literal["due", "number"]
    # At least 1; None returns every match.
    limit: int | None
