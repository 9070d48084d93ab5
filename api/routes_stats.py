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
        # Counted by the database, and only the window's timestamps read: the cost does not
        # grow with the team's whole history.
        open_statuses = [TaskStatus.open, TaskStatus.in_progress]
        per_open = Counter(service.count_by_assignee(status=open_statuses))
        per_overdue = Counter(service.count_by_assignee(overdue_at=now))
        per_done = Counter(
            service.count_by_assignee(status=TaskStatus.done, updated_since=window_start)
        )
        created = Counter(
            _week_start(moment.astimezone(UTC).date())
            for moment in service.times_since(since=window_start, field="created_at")
        )
        done = Counter(
            _week_start(moment.astimezone(UTC).date())
            for moment in service.times_since(
                since=window_start, field="updated_at", status=TaskStatus.done
            )
        )
    week_rows: list[WeekStats] = []
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
