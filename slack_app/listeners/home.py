"""The App Home tab: my open tasks, tasks I assigned, overdue, and done this week.

`publish_home` is called when a person opens the tab, after a click on one of its cards, and
by `slack_app.delivery.notify` when a change concerns someone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, TypedDict

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlmodel import Session, col, select

from slack_app.delivery import web_api
from slack_app.delivery.request_ids import delivery_key_of
from slack_app.delivery.settlement import finish_delivery
from slack_app.jobs import directory_sync
from slack_app.services import SlackServices, services_of
from slack_app.views import blocks
from slack_app.views.block_kit import HomeView
from slack_app.views.text import escape_keeping_mentions
from tasks.cards import TaskCard, task_cards
from tasks.directory import UserDirectory
from tasks.due_dates import zone_from_name
from tasks.enums import TaskStatus
from tasks.models import Task, utcnow
from tasks.service import OPEN_STATUSES, TaskService

logger = logging.getLogger(__name__)

# Tasks loaded per section: as many as the view can show.
HOME_SECTION_ROWS = blocks.HOME_SECTION_CARDS_MAX

INTRO = (
    "Hi <@{user_id}>! Here is where your tasks stand. To add one, tell me in a DM or use "
    "`/task add …`; the buttons change a task right here."
)


def user_zone(session: Session, *, team_id: str, user_id: str, default: str) -> tzinfo:
    """The person's time zone from the directory, else `default` (an IANA name)."""
    user = UserDirectory(session, team_id=team_id).get(user_id)
    return zone_from_name(user.tz if user is not None and user.tz else default)


def week_start(now: datetime) -> datetime:
    """Midnight of the Monday of `now`'s week, in `now`'s zone."""
    monday = now.date() - timedelta(days=now.weekday())
    return datetime.combine(monday, time(0), tzinfo=now.tzinfo)


@dataclass(frozen=True, kw_only=True)
class HomeTasks:
    """The tasks of one person's App Home, section by section."""

    mine: list[Task]
    assigned: list[Task]
    overdue: list[Task]
    done: list[Task]
    # How many tasks each section has in all; the lists hold only the first
    # `HOME_SECTION_ROWS` of each, since the view shows no more.
    totals: dict[str, int]


def _list_order(task: Task) -> tuple[bool, datetime, float, int]:
    # The order `TaskService.list_tasks` uses: due ones first, soonest first, then the newest.
    due = task.due_at or datetime.max.replace(tzinfo=UTC)
    return (task.due_at is None, due, -task.created_at.timestamp(), -task.number)


# The same order in SQL, for the sections `list_tasks` cannot filter.
_LIST_ORDER: list[Any] = [
    case((col(Task.due_at).is_(None), 1), else_=0),
    col(Task.due_at),
    col(Task.created_at).desc(),
    col(Task.number).desc(),
]


class _Mine(TypedDict, total=False):
    """The filters of one half of "Your open tasks", as both `TaskService.list_tasks` and
    `TaskService.count_tasks` take them."""

    assignee_id: str
    creator_id: str
    unassigned: bool
    status: tuple[TaskStatus, ...]


def _merged(*lists: Iterable[Task]) -> list[Task]:
    by_number = {task.number: task for tasks in lists for task in tasks}
    return sorted(by_number.values(), key=_list_order)


def _assigned_to_others(user_id: str) -> list[ColumnElement[bool]]:
    # Open tasks `user_id` created and gave to someone else.
    return [
        col(Task.creator_id) == user_id,
        col(Task.status).in_(OPEN_STATUSES),
        col(Task.assignee_id).is_not(None),
        col(Task.assignee_id) != user_id,
    ]


def _done_since(user_id: str, since: datetime) -> list[ColumnElement[bool]]:
    # Done since `since`, by `user_id` (assigned to them, or theirs and unassigned). Tasks have
    # no completion time, so `updated_at` stands in for it: a task edited after it was done
    # counts from that edit.
    return [
        col(Task.status) == TaskStatus.done,
        col(Task.updated_at) >= since,
        or_(
            col(Task.assignee_id) == user_id,
            and_(col(Task.assignee_id).is_(None), col(Task.creator_id) == user_id),
        ),
    ]


def _rows_and_count(
    session: Session,
    *,
    team_id: str,
    conditions: list[ColumnElement[bool]],
    order: list[Any],
    limit: int,
) -> tuple[list[Task], int]:
    # `TaskService.list_tasks` has no filter for these sections, hence these queries, scoped
    # to the team like the service's.
    scoped = [col(Task.team_id) == team_id, *conditions]
    rows = session.exec(select(Task).where(*scoped).order_by(*order).limit(limit)).all()
    total = session.exec(select(func.count()).select_from(Task).where(*scoped)).one()
    return list(rows), int(total)


def home_tasks(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    now: datetime,
    rows: int = HOME_SECTION_ROWS,
) -> HomeTasks:
    """What `user_id`'s App Home shows at `now` (aware, in their zone): at most `rows` tasks
    per section, and how many each section has in all. Loading only what the view shows keeps
    a refresh (after every change the person makes) as cheap for someone with thousands of
    open tasks as for someone with five."""
    service = TaskService(session, team_id=team_id, actor_id=user_id, source="slack")
    # Unassigned tasks a person created are theirs to do until someone takes them; without
    # this they would show in no section at all.
    theirs: _Mine = {"assignee_id": user_id, "status": OPEN_STATUSES}
    unassigned: _Mine = {"creator_id": user_id, "unassigned": True, "status": OPEN_STATUSES}
    mine = _merged(
        service.list_tasks(**theirs, limit=rows), service.list_tasks(**unassigned, limit=rows)
    )[:rows]
    mine_total = service.count_tasks(**theirs) + service.count_tasks(**unassigned)
    assigned, assigned_total = _rows_and_count(
        session,
        team_id=team_id,
        conditions=_assigned_to_others(user_id),
        order=_LIST_ORDER,
        limit=rows,
    )
    overdue = _merged(
        service.list_tasks(assignee_id=user_id, overdue_at=now, limit=rows),
        service.list_tasks(creator_id=user_id, overdue_at=now, limit=rows),
    )[:rows]
    # Tasks both assigned to and created by the person are in both counts once.
    overdue_total = (
        service.count_tasks(assignee_id=user_id, overdue_at=now)
        + service.count_tasks(creator_id=user_id, overdue_at=now)
        - service.count_tasks(assignee_id=user_id, creator_id=user_id, overdue_at=now)
    )
    done, done_total = _rows_and_count(
        session,
        team_id=team_id,
        conditions=_done_since(user_id, week_start(now)),
        order=[col(Task.updated_at).desc(), col(Task.number).desc()],
        limit=rows,
    )
    return HomeTasks(
        mine=mine,
        assigned=assigned,
        overdue=overdue,
        done=done,
        totals={
            "mine": mine_total,
            "assigned": assigned_total,
            "overdue": overdue_total,
            "done": done_total,
        },
    )


def home_sections(
    tasks: HomeTasks, *, session: Session, team_id: str, tz: tzinfo
) -> list[blocks.HomeSection]:
    """The four sections of the App Home, with cards in the reader's zone."""
    directory = UserDirectory(session, team_id=team_id)

    def cards(section_tasks: list[Task]) -> list[TaskCard]:
        return task_cards(section_tasks, tz=tz, directory=directory)

    return [
        blocks.HomeSection(
            key="mine",
            title="📌 Your open tasks",
            cards=cards(tasks.mine),
            total=tasks.totals["mine"],
            empty_text="Nothing on your plate right now. Enjoy the calm! 🌿",
            more_text="…and {hidden} more. Ask me “what's on my plate?” to see them all.",
        ),
        blocks.HomeSection(
            key="assigned",
            title="📤 Tasks you assigned",
            cards=cards(tasks.assigned),
            total=tasks.totals["assigned"],
            empty_text="No open tasks you gave to someone else.",
            more_text="…and {hidden} more.",
        ),
        blocks.HomeSection(
            key="overdue",
            title="⏰ Overdue",
            cards=cards(tasks.overdue),
            total=tasks.totals["overdue"],
            empty_text="Nothing overdue. Nice work! 🎉",
            more_text="…and {hidden} more. Ask me “what's overdue?” to see them all.",
        ),
        blocks.HomeSection(
            key="done",
            title="✅ Done this week",
            cards=cards(tasks.done),
            total=tasks.totals["done"],
            empty_text="Nothing finished yet this week. It will come!",
            more_text="…and {hidden} more.",
        ),
    ]


def build_home_view(
    services: SlackServices, *, team_id: str, user_id: str, notice: str | None = None
) -> HomeView:
    """The App Home view of `user_id`, from the database (blocking; run it in a thread)."""
    with services.session_factory() as session:
        tz = user_zone(
            session,
            team_id=team_id,
            user_id=user_id,
            default=services.settings.effective_timezone(),
        )
        tasks = home_tasks(session, team_id=team_id, user_id=user_id, now=utcnow().astimezone(tz))
        sections = home_sections(tasks, session=session, team_id=team_id, tz=tz)
    intro = [blocks.text_section(INTRO.format(user_id=user_id))]
    if notice:
        intro.append(blocks.text_section(f"⚠️ {escape_keeping_mentions(notice)}"))
    return blocks.home_view(sections, team_id=team_id, intro=intro)


async def publish_home(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    notice: str | None = None,
) -> None:
    """Publish `user_id`'s App Home: my open tasks, tasks I assigned, overdue, done this week.

    `notice` shows on top (why a click on the Home changed nothing). A refusal from Slack is
    logged, not raised: the tasks are unchanged and the next publish shows them.
    """
    view = await asyncio.to_thread(
        build_home_view, services, team_id=team_id, user_id=user_id, notice=notice
    )
    try:
        await web_api.publish_view(client, user_id=user_id, view=view)
    except SlackApiError as error:
        logger.error(
            "could not publish the App Home",
            extra={"team": team_id, "user": user_id, "error": web_api.error_code(error)},
        )
    except Exception:
        logger.exception(
            "could not reach Slack to publish the App Home",
            extra={"team": team_id, "user": user_id},
        )


async def on_home_opened(
    event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The App Home opened: publish the person's view."""
    services = services_of(context)
    async with services.inflight.track():
        try:
            user_id = str(event.get("user") or "")
            team_id = context.team_id or ""
            # The Messages and About tabs open this event too; only the Home has a view.
            if event.get("tab", "home") == "home" and user_id and team_id:
                if await directory_sync.ensure_user(
                    services, client=client, team_id=team_id, user_id=user_id
                ):
                    await publish_home(services, client=client, team_id=team_id, user_id=user_id)
                else:
                    # A person of another organisation gets no Home: it would list this
                    # workspace's tasks.
                    logger.info(
                        "no App Home for a person of another organisation",
                        extra={"team": team_id},
                    )
        finally:
            await finish_delivery(services, delivery_key_of(context))


def register(app: AsyncApp) -> None:
    """Add the App Home listener to `app`."""
    # Bolt names `re.Pattern` and listener middleware without type arguments.
    app.event("app_home_opened")(on_home_opened)  # pyright: ignore[reportUnknownMemberType]
