"""The values a task's status and priority take; light enough for the CLI to import at start."""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """Where a task stands."""

    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


class TaskPriority(StrEnum):
    """How much a task matters."""

    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"
