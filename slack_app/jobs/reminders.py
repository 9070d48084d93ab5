"""Due-soon and overdue reminders: a DM to the assignee, once each, in their time zone.

Every `TASKPILOT_REMINDER_INTERVAL_SECONDS` each replica looks at the open, assigned tasks due
around now (nothing older than `LOOKBACK`, nothing further ahead than a reminder can be) and
sends what is due:

- due soon: a timed task from `TASKPILOT_REMINDER_LEAD_MINUTES` before its time; an all-day
  task from 09:00 on its day, in the assignee's zone;
- overdue: a timed task once its time has passed; an all-day task from 09:00 the day after,
  in the assignee's zone. A task already overdue gets no due-soon reminder.

A reminder is claimed by inserting its `TaskReminder` row (unique per team, task, kind and
due date) before it is sent, so that two replicas or a restarted one never send it twice; a
new due date is a new key, so it gets its own reminders. The row then says `sent` or
`failed`. A failed reminder is logged and not retried: the Web API client has already retried
429s, 5xx and dropped connections, and what still fails is mostly for good (the person was
deactivated, the app was removed), which retrying every interval would only repeat. A replica
that dies between the claim and the post leaves a `sending` row: that reminder is lost rather
than sent twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from datetime import time as clock_time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.metrics import set_reminders_due
from slack_app.delivery import web_api
from slack_app.delivery.notify import due_phrase, task_title, zone_of
from slack_app.models import TaskReminder
from slack_app.services import SlackServices
from slack_app.views import blocks
from slack_app.views.block_kit import Block
from tasks.cards import task_card
from tasks.directory import name_of
from tasks.due_dates import due_of
from tasks.models import DirectoryUser, Task, utcnow
from tasks.service import OPEN_STATUSES

logger = logging.getLogger(__name__)

DUE_SOON = "due_soon"
OVERDUE = "overdue"

# All-day tasks are brought up at this wall-clock time in the assignee's zone.
ALL_DAY_REMINDER_AT = clock_time(9, 0)
# An all-day task's 09:00 is at most this far from its stored local midnight, whatever the
# assignee's and the setter's zones (UTC-12 to UTC+14, and the day after for overdue).
ALL_DAY_AHEAD = timedelta(days=2)
# Tasks that fell due longer ago than this are not looked at any more: their overdue reminder
# went out long since, or the app was not running then.
LOOKBACK = timedelta(days=7)
# The event ledger (Slack deliveries) is pruned this often by the reminder loop.
PRUNE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True, kw_only=True)
class Reminder:
    """One reminder to send: its key (team, task, kind, due date) and the DM."""

    team_id: str
    task_number: int
    kind: str
    due_at: datetime
    assignee_id: str
    text: str
    blocks: list[Block]


def reminder_kind(task: Task, *, tz: tzinfo, now: datetime, lead: timedelta) -> str | None:
    """`overdue`, `due_soon` or None for a task whose assignee lives in `tz`, at `now`."""
    due = due_of(task)
    if due is None:
        return None
    if due.all_day:
        soon = datetime.combine(due.day, ALL_DAY_REMINDER_AT, tzinfo=tz)
        late = datetime.combine(due.day + timedelta(days=1), ALL_DAY_REMINDER_AT, tzinfo=tz)
    else:
        soon, late = due.at - lead, due.at
    if now >= late:
        return OVERDUE
    if now >= soon:
        return DUE_SOON
    return None


def reminder_text(task: Task, *, kind: str, tz: tzinfo, now: datetime) -> str:
    """The DM's first line, with the due date in the assignee's zone."""
    when = due_phrase(task, tz=tz, now=now) or "soon"
    if kind == OVERDUE:
        return f"⚠️ {task_title(task)} is overdue: it was due {when}."
    return f"⏰ {task_title(task)} is due {when}."


def _candidates(session: Session, *, team_id: str, now: datetime, lead: timedelta) -> list[Task]:
    """The team's open, assigned tasks due close enough to now for a reminder."""
    statement = (
        select(Task)
        .where(
            Task.team_id == team_id,
            col(Task.status).in_(OPEN_STATUSES),
            col(Task.assignee_id).is_not(None),
            col(Task.due_at) >= now - LOOKBACK,
            or_(
                and_(col(Task.due_all_day).is_(True), col(Task.due_at) <= now + ALL_DAY_AHEAD),
                and_(col(Task.due_all_day).is_(False), col(Task.due_at) <= now + lead),
            ),
        )
        .order_by(col(Task.due_at), col(Task.number))
    )
    return list(session.exec(statement).all())


def due_reminders(
    session: Session, *, team_id: str, now: datetime, lead: timedelta, default_zone: str
) -> list[Reminder]:
    """The reminders of `team_id` that are due at `now` and not claimed yet."""
    tasks = _candidates(session, team_id=team_id, now=now, lead=lead)
    if not tasks:
        return []
    assignees = {task.assignee_id for task in tasks if task.assignee_id}
    people = {
        user.user_id: user
        for user in session.exec(
            select(DirectoryUser).where(
                DirectoryUser.team_id == team_id, col(DirectoryUser.user_id).in_(assignees)
            )
        ).all()
    }
    claimed = {
        (row.task_number, row.kind, row.due_at)
        for row in session.exec(
            select(TaskReminder).where(
                TaskReminder.team_id == team_id,
                col(TaskReminder.task_number).in_({task.number for task in tasks}),
            )
        ).all()
    }
    names = {user_id: name_of(user) for user_id, user in people.items()}
    reminders: list[Reminder] = []
    for task in tasks:
        assert task.assignee_id is not None and task.due_at is not None
        person = people.get(task.assignee_id)
        if person is not None and (person.deleted or person.is_bot):
            continue
        zone = zone_of(person.tz if person else None, fallback=default_zone)
        kind = reminder_kind(task, tz=zone, now=now, lead=lead)
        if kind is None or (task.number, kind, task.due_at) in claimed:
            continue
        text = reminder_text(task, kind=kind, tz=zone, now=now)
        card = task_card(task, tz=zone, names=names)
        reminders.append(
            Reminder(
                team_id=team_id,
                task_number=task.number,
                kind=kind,
                due_at=task.due_at,
                assignee_id=task.assignee_id,
                text=text,
                blocks=[blocks.text_section(text), *blocks.task_card_blocks(card, team_id=team_id)],
            )
        )
    return reminders


def claim(
    session_factory: Callable[[], Session], reminder: Reminder, *, now: datetime
) -> int | None:
    """Insert the reminder's row; its id, or None when another replica (or an earlier run)
    already claimed it."""
    try:
        with session_factory() as session, session.begin():
            row = TaskReminder(
                team_id=reminder.team_id,
                task_number=reminder.task_number,
                kind=reminder.kind,
                due_at=reminder.due_at,
                assignee_id=reminder.assignee_id,
                status="sending",
                created_at=now,
            )
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None


def mark(
    session_factory: Callable[[], Session], row_id: int, *, status: str, now: datetime
) -> None:
    """Record how sending went: `sent` (with the time) or `failed`."""
    with session_factory() as session, session.begin():
        session.exec(
            update(TaskReminder)
            .where(col(TaskReminder.id) == row_id)
            .values(status=status, sent_at=now if status == "sent" else None)
        )


async def _send(
    services: SlackServices, client: AsyncWebClient, reminder: Reminder, *, now: datetime
) -> bool:
    row_id = await asyncio.to_thread(claim, services.session_factory, reminder, now=now)
    if row_id is None:
        return False
    status = "failed"
    where = {
        "team": reminder.team_id,
        "task": reminder.task_number,
        "kind": reminder.kind,
        "user": reminder.assignee_id,
    }
    try:
        await web_api.post_message(
            client,
            channel=reminder.assignee_id,
            text=reminder.text,
            blocks=reminder.blocks,
            unfurl_links=False,
        )
        status = "sent"
    except SlackApiError as error:
        logger.error(
            "could not send a task reminder",
            extra={**where, "error": web_api.error_code(error)},
        )
    except Exception:
        logger.exception("could not reach Slack to send a task reminder", extra=where)
    await asyncio.to_thread(mark, services.session_factory, row_id, status=status, now=now)
    return status == "sent"


def _team_reminders(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    now: datetime,
    lead: timedelta,
    default_zone: str,
) -> list[Reminder]:
    with session_factory() as session:
        return due_reminders(
            session, team_id=team_id, now=now, lead=lead, default_zone=default_zone
        )


async def send_due_reminders(services: SlackServices, *, now: datetime) -> int:
    """Send every reminder due at `now` in every team the app is in; how many were sent."""
    settings = services.settings
    lead = timedelta(minutes=settings.reminder_lead_minutes)
    default_zone = settings.effective_timezone()
    sent = 0
    due = 0
    for team_id in await services.tokens.team_ids():
        try:
            pending = await asyncio.to_thread(
                _team_reminders,
                services.session_factory,
                team_id=team_id,
                now=now,
                lead=lead,
                default_zone=default_zone,
            )
            due += len(pending)
            client = await services.client_for_team(team_id) if pending else None
            if client is None:
                continue
            for reminder in pending:
                sent += await _send(services, client, reminder, now=now)
        except Exception:
            logger.exception("reminders for a team failed", extra={"team": team_id})
    # The queue depth as this sweep found it: due, not yet claimed by any replica.
    set_reminders_due(due)
    return sent


async def reminder_loop(services: SlackServices) -> None:
    """Send due reminders every `TASKPILOT_REMINDER_INTERVAL_SECONDS`, until cancelled; prune
    the event ledger once an hour on the way."""
    last_prune: float | None = None
    while True:
        try:
            await send_due_reminders(services, now=utcnow())
        except Exception:
            logger.exception("the reminder pass failed")
        if last_prune is None or time.monotonic() - last_prune >= PRUNE_EVERY_SECONDS:
            last_prune = time.monotonic()
            try:
                forgotten = await services.ledger.prune()
                logger.debug("pruned the event ledger", extra={"forgotten": forgotten})
            except Exception:
                logger.exception("could not prune the event ledger")
        await asyncio.sleep(services.settings.reminder_interval)
