"""`GET /api/v1/stats`: open, overdue and done tasks of the key's team, per ISO week and per
assignee."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Security

from api.auth import ApiContext, Principal, authenticate, context_of, request_id_of
from api.problems import problem_responses
from api.schemas import AssigneeStats, StatsPublic, WeekStats
from tasks.enums import TaskStatus
from tasks.models import utcnow
from tasks.service import TaskService

router = APIRouter(tags=["stats"])


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_name(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@router.get("/stats", operation_id="getStats", responses=problem_responses(401, 403, 422))
def get_stats(
    request: Request,
    principal: Annotated[Principal, Security(authenticate, scopes=["tasks:read"])],
    context: Annotated[ApiContext, Depends(context_of)],
    weeks: Annotated[int, Query(ge=1, le=52, description="ISO weeks to cover.")] = 8,
) -> StatsPublic:
    """Counts now (open, overdue) and per ISO week in UTC (created, done) for the last weeks.

    A task counts as done in the week of its last change while done.
    """
    now = utcnow()
    first_week = _week_start(now.date()) - timedelta(weeks=weeks - 1)
    window_start = datetime(first_week.year, first_week.month, first_week.day, tzinfo=UTC)
    with context.session_factory() as session:
        service = TaskService(
            session,
            team_id=principal.team_id,
            actor_id=principal.actor_id,
            source="api",
            request_id=request_id_of(request),
        )
        tasks = service.list_tasks(limit=None)
        overdue_numbers = {task.number for task in service.list_tasks(overdue_at=now, limit=None)}
    created: Counter[date] = Counter()
    done: Counter[date] = Counter()
    per_open: Counter[str | None] = Counter()
    per_overdue: Counter[str | None] = Counter()
    per_done: Counter[str | None] = Counter()
    for task in tasks:
        if task.created_at >= window_start:
            created[_week_start(task.created_at.astimezone(UTC).date())] += 1
        if task.status in (TaskStatus.open, TaskStatus.in_progress):
            per_open[task.assignee_id] += 1
        if task.number in overdue_numbers:
            per_overdue[task.assignee_id] += 1
        if task.status == TaskStatus.done and task.updated_at >= window_start:
            done[_week_start(task.updated_at.astimezone(UTC).date())] += 1
            per_done[task.assignee_id] += 1
    week_rows = []
    for index in range(weeks):
        start = first_week + timedelta(weeks=index)
        week_rows.append(
            WeekStats(
                week=_week_name(start), starts_on=start, created=created[start], done=done[start]
            )
        )
    people = set(per_open) | set(per_overdue) | set(per_done)
    assignee_rows = [
        AssigneeStats(
            assignee=person,
            open=per_open[person],
            overdue=per_overdue[person],
            done=per_done[person],
        )
        for person in sorted(people, key=lambda value: (value is None, value or ""))
    ]
    return StatsPublic(
        generated_at=now,
        open=sum(per_open.values()),
        overdue=sum(per_overdue.values()),
        done=sum(per_done.values()),
        weeks=week_rows,
        assignees=assignee_rows,
    )
