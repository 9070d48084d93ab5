"""Telling people about changes: the assignee's DM and App Home refreshes.

Whoever changes a task through Slack (a turn with the agent, a click on a card) ends with
`after_turn` or `task_changed`. A person who is newly given a task by someone else gets a DM
with the task's card, the due date in their own time zone; the App Home of everyone the task
concerns (the actor, the old and new assignee, the creator) is published again. The task is
saved before any of this runs, so a failure here is logged and never raised.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session, col, select

from agent.result import ToolCallRecord, TurnResult
from core.settings import Settings
from slack_app.delivery import web_api
from slack_app.listeners import home
from slack_app.payloads import json_object
from slack_app.services import SlackServices
from slack_app.views import blocks
from slack_app.views.block_kit import Block
from slack_app.views.text import escape_mrkdwn
from tasks.cards import task_card
from tasks.directory import UserDirectory
from tasks.due_dates import due_of, zone_name
from tasks.models import AuditAction, AuditEvent, Task, utcnow

logger = logging.getLogger(__name__)

# The tools whose successful calls changed a task: the first three answer with the task's card,
# `delete_task` with the number and title of the task it removed.
CARD_TOOLS = frozenset({"create_task", "update_task", "assign_task"})
DELETE_TOOL = "delete_task"


def zone_of(name: str | None, *, fallback: str) -> tzinfo:
    """A person's zone from its IANA name; `fallback` when it is missing or unknown, else UTC."""
    for candidate in (name, fallback):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC


def person_zone(session: Session, *, settings: Settings, team_id: str, user_id: str) -> tzinfo:
    """The zone `user_id` lives in, from the directory (the default zone when unknown)."""
    user = UserDirectory(session, team_id=team_id).get(user_id)
    return zone_of(user.tz if user else None, fallback=settings.effective_timezone())


def _day_words(day: date, *, today: date) -> str:
    offset = (day - today).days
    if offset == 0:
        return "today"
    if offset == 1:
        return "tomorrow"
    if offset == -1:
        return "yesterday"
    text = f"on {day:%a %b} {day.day}"
    return f"{text}, {day.year}" if day.year != today.year else text


def due_phrase(task: Task, *, tz: tzinfo, now: datetime) -> str | None:
    """When a task is due, for a reader in `tz`: `today at 17:00 (Europe/Paris)`, or `tomorrow`
    for an all-day task (the day it was given for, whatever the zone); None without a date."""
    due = due_of(task)
    if due is None:
        return None
    today = now.astimezone(tz).date()
    if due.all_day:
        return _day_words(due.day, today=today)
    local = due.at.astimezone(tz)
    return f"{_day_words(local.date(), today=today)} at {local:%H:%M} ({zone_name(tz)})"


def task_title(task: Task) -> str:
    """`*#12 Title*` in mrkdwn, the title escaped."""
    return f"*#{task.number} {escape_mrkdwn(task.title)}*"


@dataclass(frozen=True, kw_only=True)
class Assignment:
    """The DM a new assignee gets."""

    user_id: str
    text: str
    blocks: list[Block]


@dataclass(kw_only=True)
class _News:
    """What one change means for people: an assignment DM (or none), and whose Home to refresh."""

    assignment: Assignment | None = None
    people: list[str] = field(default_factory=list[str])


def _unique(*user_ids: str | None) -> list[str]:
    seen: list[str] = []
    for user_id in user_ids:
        if user_id and user_id not in seen:
            seen.append(user_id)
    return seen


def _assignment(
    session: Session,
    services: SlackServices,
    *,
    task: Task,
    team_id: str,
    actor_id: str,
    now: datetime,
) -> Assignment:
    assert task.assignee_id is not None
    zone = person_zone(
        session, settings=services.settings, team_id=team_id, user_id=task.assignee_id
    )
    card = task_card(task, tz=zone, directory=UserDirectory(session, team_id=team_id))
    text = f"<@{actor_id}> assigned you {task_title(task)}"
    due = due_phrase(task, tz=zone, now=now)
    if due is not None:
        text += f", due {due}"
    return Assignment(
        user_id=task.assignee_id,
        text=text,
        blocks=[blocks.text_section(text), *blocks.task_card_blocks(card, team_id=team_id)],
    )


def _deleted_people(session: Session, *, team_id: str, number: int) -> list[str]:
    """The assignee and creator a deleted task had, from its audit trail."""
    statement = (
        select(AuditEvent)
        .where(
            AuditEvent.team_id == team_id,
            AuditEvent.task_number == number,
            AuditEvent.action == AuditAction.delete,
        )
        .order_by(col(AuditEvent.id).desc())
    )
    event = session.exec(statement).first()
    if event is None:
        return []
    before = {key: values[0] for key, values in event.changes.items() if values}
    assignee, creator = before.get("assignee_id"), before.get("creator_id")
    return _unique(
        assignee if isinstance(assignee, str) else None,
        creator if isinstance(creator, str) else None,
    )


def _read_news(
    services: SlackServices,
    *,
    team_id: str,
    actor_id: str,
    number: int,
    previous_assignee_id: str | None,
    now: datetime,
) -> _News:
    with services.session_factory() as session:
        task = session.exec(
            select(Task).where(Task.team_id == team_id, Task.number == number)
        ).first()
        if task is None:
            people = _deleted_people(session, team_id=team_id, number=number)
            return _News(people=_unique(actor_id, previous_assignee_id, *people))
        news = _News(
            people=_unique(actor_id, previous_assignee_id, task.assignee_id, task.creator_id)
        )
        if task.assignee_id and task.assignee_id not in (previous_assignee_id, actor_id):
            news.assignment = _assignment(
                session, services, task=task, team_id=team_id, actor_id=actor_id, now=now
            )
        return news


async def send_assignment(
    client: AsyncWebClient, *, team_id: str, number: int, assignment: Assignment
) -> bool:
    """DM the assignee; False (logged) when Slack refused or could not be reached."""
    try:
        await web_api.post_message(
            client,
            channel=assignment.user_id,
            text=assignment.text,
            blocks=assignment.blocks,
            unfurl_links=False,
        )
    except SlackApiError as error:
        logger.error(
            "could not DM the new assignee",
            extra={
                "team": team_id,
                "task": number,
                "user": assignment.user_id,
                "error": web_api.error_code(error),
            },
        )
        return False
    except Exception:
        logger.exception(
            "could not reach Slack to DM the new assignee",
            extra={"team": team_id, "task": number, "user": assignment.user_id},
        )
        return False
    return True


async def refresh_homes(
    services: SlackServices, *, client: AsyncWebClient, team_id: str, user_ids: list[str]
) -> None:
    """Publish the App Home of each person once; failures are logged."""
    for user_id in _unique(*user_ids):
        try:
            await home.publish_home(services, client=client, team_id=team_id, user_id=user_id)
        except Exception:
            logger.exception(
                "could not refresh the App Home", extra={"team": team_id, "user": user_id}
            )


async def _announce(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    team_id: str,
    actor_id: str,
    number: int,
    previous_assignee_id: str | None,
    now: datetime,
) -> list[str]:
    """Send the assignment DM a change calls for; the people whose Home to refresh."""
    try:
        news = await asyncio.to_thread(
            _read_news,
            services,
            team_id=team_id,
            actor_id=actor_id,
            number=number,
            previous_assignee_id=previous_assignee_id,
            now=now,
        )
    except Exception:
        logger.exception(
            "could not read the changed task to notify people",
            extra={"team": team_id, "task": number},
        )
        return _unique(actor_id)
    if news.assignment is not None:
        await send_assignment(client, team_id=team_id, number=number, assignment=news.assignment)
    return news.people


async def task_changed(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    team_id: str,
    actor_id: str,
    number: int,
    previous_assignee_id: str | None,
) -> None:
    """After task `number` changed through Slack: DM a new assignee (not the actor), refresh the
    App Home of the people it concerns."""
    people = await _announce(
        services,
        client=client,
        team_id=team_id,
        actor_id=actor_id,
        number=number,
        previous_assignee_id=previous_assignee_id,
        now=utcnow(),
    )
    await refresh_homes(services, client=client, team_id=team_id, user_ids=people)


@dataclass(kw_only=True)
class WrittenTask:
    """A task a turn wrote: its number, the first tool that touched it, and who had it before
    that call (for `assign_task` the previous assignee it reports, else the card's assignee;
    None for a deleted task)."""

    number: int
    first_tool: str
    previous_assignee_id: str | None


def written_tasks(result: TurnResult) -> list[WrittenTask]:
    """The tasks a turn's successful writes touched, each once, in the order first touched."""
    written: dict[int, WrittenTask] = {}
    for call in result.tool_calls:
        found = _written(call)
        if found is not None and found.number not in written:
            written[found.number] = found
    return list(written.values())


def _written(call: ToolCallRecord) -> WrittenTask | None:
    outcome = json_object(call.result)
    if not call.ok or outcome is None or outcome.get("ok") is not True:
        return None
    key = "task" if call.tool in CARD_TOOLS else "deleted" if call.tool == DELETE_TOOL else None
    details = json_object(outcome.get(key)) if key else None
    if details is None or not isinstance(details.get("id"), int):
        return None
    assignee = (
        outcome.get("previous_assignee") if call.tool == "assign_task" else details.get("assignee")
    )
    return WrittenTask(
        number=int(details["id"]),
        first_tool=call.tool,
        previous_assignee_id=assignee if isinstance(assignee, str) else None,
    )


def assignee_before(task: WrittenTask) -> str | None:
    """Who had the task before the turn: nobody for a created task; for `assign_task` the
    previous assignee its result names; otherwise (`update_task` keeps the assignee) the one
    its card shows."""
    if task.first_tool == "create_task":
        return None
    return task.previous_assignee_id


async def after_turn(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    team_id: str,
    actor_id: str,
    result: TurnResult,
) -> None:
    """Tell the people an agent turn's writes concern (assignee DM, App Home refresh)."""
    written = written_tasks(result)
    if not written:
        return
    now = utcnow()
    people: list[str] = []
    for task in written:
        previous = assignee_before(task)
        people += await _announce(
            services,
            client=client,
            team_id=team_id,
            actor_id=actor_id,
            number=task.number,
            previous_assignee_id=previous,
            now=now,
        )
    await refresh_homes(services, client=client, team_id=team_id, user_ids=people)
