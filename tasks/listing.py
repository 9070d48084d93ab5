"""The arguments of `TaskService.list_tasks` and `TaskService.list_task_rows`: the filters,
the order and the page size of a list of one team's tasks; and the status groups people ask
for ("active", "closed", "any")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, TypedDict

from tasks.enums import TaskPriority, TaskStatus

__all__ = [
    "ACTIVE_STATUSES",
    "STATUS_GROUPS",
    "StatusGroup",
    "TaskFilters",
    "TaskListing",
    "statuses_for",
]

StatusGroup = Literal["active", "closed", "any"]
"""A name for several statuses at once."""

# The work still to do: what a list shows when no status is asked for.
ACTIVE_STATUSES: tuple[TaskStatus, ...] = (TaskStatus.open, TaskStatus.in_progress)
STATUS_GROUPS: Mapping[str, tuple[TaskStatus, ...]] = {
    "active": ACTIVE_STATUSES,
    "closed": (TaskStatus.done, TaskStatus.cancelled),
    "any": tuple(TaskStatus),
}


def statuses_for(wanted: str | Iterable[str] | None) -> tuple[TaskStatus, ...]:
    """The statuses a status filter names: a status, a group of `STATUS_GROUPS`, or several of
    either (their union, in `TaskStatus` order). None, or an empty list, means the active ones.

    Raises `ValueError` for a name that is neither a status nor a group.
    """
    if wanted is None:
        return ACTIVE_STATUSES
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    if not names:
        return ACTIVE_STATUSES
    chosen: set[TaskStatus] = set()
    for name in names:
        group = STATUS_GROUPS.get(name)
        chosen.update(group if group is not None else (TaskStatus(name),))
    return tuple(status for status in TaskStatus if status in chosen)


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
