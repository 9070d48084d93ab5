"""Due-soon and overdue reminders: DMs to the assignee, once each, in their own time zone."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from core.db import make_engine, make_session_factory
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.app import build_token_source
from slack_app.jobs import reminders
from slack_app.models import TaskReminder
from slack_app.services import SlackServices
from slack_app.views import blocks
from tasks.directory import UserDirectory
from tasks.due_dates import ResolvedDue
from tasks.models import utcnow
from tasks.service import TaskService
from tests.slack_app.support import TEAM, SlackHarness

PARIS = ZoneInfo("Europe/Paris")
# In the local Web API's directory: Alice in Paris, Bob in New York, Carol in Tokyo.
# 17:00 in Paris on 12 June 2030 is 11:00 in New York and 15:00 UTC.
DUE = datetime(2030, 6, 12, 17, 0, tzinfo=PARIS)


def make_task(
    slack: SlackHarness,
    *,
    title: str = "Send the Q3 deck",
    assignee: str | None = "U0BOB",
    due: datetime = DUE,
    all_day: bool = False,
    status: str | None = None,
) -> int:
    """A task Alice made, due at `due` (local midnight of its day when `all_day`)."""
    with slack.sessions() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
        task = service.create_task(
            title=title,
            assignee_id=assignee,
            due=ResolvedDue(at=due, all_day=all_day, in_past=False),
        )
        if status is not None:
            service.update_task(number=task.number, status=status)
        return task.number


def move_due(slack: SlackHarness, number: int, *, due: datetime) -> None:
    with slack.sessions() as session, session.begin():
        TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test").update_task(
            number=number, due=ResolvedDue(at=due, all_day=False, in_past=False)
        )


def remind(slack: SlackHarness, now: datetime, services: SlackServices | None = None) -> int:
    return slack.run(reminders.send_due_reminders(services or slack.services, now=now))


def dms(web: LocalSlackWebAPI, user_id: str) -> list[str]:
    """The texts of the messages posted to a person directly."""
    return [
        str(call.args["text"])
        for call in web.calls_to("chat.postMessage")
        if call.args["channel"] == user_id
    ]


def statuses(slack: SlackHarness) -> list[tuple[int, str, str]]:
    with slack.sessions() as session:
        rows = session.exec(select(TaskReminder).order_by(TaskReminder.id)).all()  # pyright: ignore[reportArgumentType]
        return [(row.task_number, row.kind, row.status) for row in rows]


@pytest.fixture
def restarted(slack: SlackHarness) -> Iterator[SlackServices]:
    """The services of a second process on the same database: a restart, or another replica."""
    engine = make_engine(slack.settings.database_url)
    session_factory = make_session_factory(engine)
    try:
        yield dataclasses.replace(
            slack.services,
            session_factory=session_factory,
            tokens=build_token_source(slack.settings, session_factory),
        )
    finally:
        engine.dispose()


def test_due_soon_then_overdue_are_sent_once_each_with_the_time_in_the_assignees_zone(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    assert remind(slack, DUE - timedelta(hours=3)) == 0
    assert remind(slack, DUE - timedelta(minutes=90)) == 1
    assert remind(slack, DUE - timedelta(minutes=90)) == 0
    assert remind(slack, DUE - timedelta(minutes=10)) == 0
    assert dms(web, "U0BOB") == [
        f"⏰ *#{number} Send the Q3 deck* is due today at 11:00 (America/New_York)."
    ]
    assert remind(slack, DUE + timedelta(minutes=1)) == 1
    assert remind(slack, DUE + timedelta(days=1)) == 0
    assert dms(web, "U0BOB")[1:] == [
        f"⚠️ *#{number} Send the Q3 deck* is overdue: it was due today at 11:00 (America/New_York)."
    ]
    # Each DM carries the task's card.
    for call in web.calls_to("chat.postMessage"):
        ids = {
            blocks.parse_block_id(str(block.get("block_id", ""))) for block in call.args["blocks"]
        }
        assert (TEAM, number) in ids
    assert statuses(slack) == [(number, "due_soon", "sent"), (number, "overdue", "sent")]


def test_a_restarted_process_or_second_replica_sends_nothing_twice(
    slack: SlackHarness, web: LocalSlackWebAPI, restarted: SlackServices
) -> None:
    make_task(slack)
    assert remind(slack, DUE - timedelta(hours=1)) == 1
    assert remind(slack, DUE - timedelta(hours=1), restarted) == 0
    assert remind(slack, DUE + timedelta(hours=1), restarted) == 1
    assert remind(slack, DUE + timedelta(hours=1)) == 0
    assert len(dms(web, "U0BOB")) == 2


def test_a_task_first_seen_overdue_gets_only_the_overdue_reminder(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    assert remind(slack, DUE + timedelta(minutes=5)) == 1
    assert remind(slack, DUE + timedelta(minutes=6)) == 0
    assert [text.split(" ")[0] for text in dms(web, "U0BOB")] == ["⚠️"]
    assert statuses(slack) == [(number, "overdue", "sent")]


def test_done_cancelled_and_unassigned_tasks_get_no_reminders(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    make_task(slack, title="Already done", status="done")
    make_task(slack, title="Called off", status="cancelled")
    make_task(slack, title="Nobody's yet", assignee=None)
    assert remind(slack, DUE - timedelta(hours=1)) == 0
    assert remind(slack, DUE + timedelta(hours=1)) == 0
    assert web.calls_to("chat.postMessage") == []
    assert statuses(slack) == []


def test_deactivated_assignees_and_long_forgotten_tasks_get_no_reminders(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    make_task(slack, title="Carol's", assignee="U0CAROL")
    make_task(slack, title="Ages ago", due=DUE - timedelta(days=30))
    with slack.sessions() as session, session.begin():
        UserDirectory(session, team_id=TEAM).upsert(
            user_id="U0CAROL", handle="carol", tz="Asia/Tokyo", deleted=True
        )
    assert remind(slack, DUE + timedelta(hours=1)) == 0
    assert web.calls_to("chat.postMessage") == []


def test_all_day_tasks_come_up_at_nine_in_each_assignees_own_zone(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    # Due on 12 June, set by Alice in Paris; Bob is in New York (UTC-4), Carol in Tokyo (UTC+9).
    day = datetime(2030, 6, 12, tzinfo=PARIS)
    bobs = make_task(slack, title="Bob's report", assignee="U0BOB", due=day, all_day=True)
    carols = make_task(slack, title="Carol's report", assignee="U0CAROL", due=day, all_day=True)

    def at(day: int, hour: int, minute: int) -> datetime:
        return datetime(2030, 6, day, hour, minute, tzinfo=UTC)

    assert remind(slack, at(11, 23, 59)) == 0  # 08:59 in Tokyo
    assert remind(slack, at(12, 0, 1)) == 1  # 09:01 in Tokyo, 20:01 the day before in New York
    assert dms(web, "U0CAROL") == [f"⏰ *#{carols} Carol's report* is due today."]
    assert remind(slack, at(12, 12, 59)) == 0  # 08:59 in New York
    assert remind(slack, at(12, 13, 1)) == 1
    assert dms(web, "U0BOB") == [f"⏰ *#{bobs} Bob's report* is due today."]
    assert remind(slack, at(13, 0, 1)) == 1  # 09:01 the day after in Tokyo
    assert dms(web, "U0CAROL")[1:] == [
        f"⚠️ *#{carols} Carol's report* is overdue: it was due yesterday."
    ]
    assert remind(slack, at(13, 12, 59)) == 0
    assert remind(slack, at(13, 13, 1)) == 1
    assert dms(web, "U0BOB")[1:] == [f"⚠️ *#{bobs} Bob's report* is overdue: it was due yesterday."]


def test_a_new_due_date_gets_its_own_reminders(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    number = make_task(slack)
    assert remind(slack, DUE - timedelta(hours=1)) == 1
    later = DUE + timedelta(days=1, hours=1)  # 12:00 in New York on 13 June
    move_due(slack, number, due=later)
    assert remind(slack, DUE + timedelta(minutes=1)) == 0  # the old time is no longer due
    assert remind(slack, later - timedelta(hours=1)) == 1
    assert remind(slack, later + timedelta(minutes=1)) == 1
    assert dms(web, "U0BOB") == [
        f"⏰ *#{number} Send the Q3 deck* is due today at 11:00 (America/New_York).",
        f"⏰ *#{number} Send the Q3 deck* is due today at 12:00 (America/New_York).",
        f"⚠️ *#{number} Send the Q3 deck* is overdue: it was due today at 12:00 (America/New_York).",
    ]


def test_a_reminder_slack_refuses_is_marked_failed_logged_and_not_retried(
    slack: SlackHarness, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    number = make_task(slack)
    web.fail("chat.postMessage", "channel_not_found")
    with caplog.at_level(logging.ERROR, logger="slack_app.jobs.reminders"):
        assert remind(slack, DUE - timedelta(hours=1)) == 0
    [record] = [r for r in caplog.records if r.name == "slack_app.jobs.reminders"]
    assert record.getMessage() == "could not send a task reminder"
    extra: dict[str, Any] = record.__dict__
    assert (extra["error"], extra["task"], extra["user"]) == ("channel_not_found", number, "U0BOB")
    assert statuses(slack) == [(number, "due_soon", "failed")]
    # Not retried by later passes; the overdue reminder is a reminder of its own.
    assert remind(slack, DUE - timedelta(minutes=30)) == 0
    assert len(web.calls_to("chat.postMessage")) == 1
    assert remind(slack, DUE + timedelta(minutes=1)) == 1
    assert statuses(slack) == [(number, "due_soon", "failed"), (number, "overdue", "sent")]


class CountingTokens:
    """The harness's token source, counting the reminder passes that asked for the teams."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.passes = 0

    async def bot_token(self, *, team_id: str) -> str | None:
        return await self.inner.bot_token(team_id=team_id)

    async def team_ids(self) -> list[str]:
        self.passes += 1
        return await self.inner.team_ids()


class CountingLedger:
    """The harness's event ledger, counting prunes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.prunes = 0

    async def claim(self, key: str) -> bool:
        return await self.inner.claim(key)

    async def finish(self, key: str) -> None:
        await self.inner.finish(key)

    async def release(self, key: str) -> None:
        await self.inner.release(key)

    async def renew(self, key: str) -> None:
        await self.inner.renew(key)

    async def finished(self, key: str) -> bool:
        return await self.inner.finished(key)

    async def prune(self) -> int:
        self.prunes += 1
        return await self.inner.prune()


def test_the_loop_sends_each_reminder_once_over_many_passes_and_prunes_the_ledger(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    # The loop reads the real clock, so this task is due half an hour from now.
    due = utcnow().astimezone(PARIS) + timedelta(minutes=30)
    make_task(slack, due=due)
    tokens, ledger = CountingTokens(slack.services.tokens), CountingLedger(slack.services.ledger)
    services = dataclasses.replace(
        slack.services,
        settings=slack.settings.model_copy(update={"reminder_interval": 0.02}),
        tokens=tokens,
        ledger=ledger,
    )
    loop = asyncio.run_coroutine_threadsafe(reminders.reminder_loop(services), slack.loop)
    try:
        web.wait_for("chat.postMessage")
        deadline = time.monotonic() + 10
        while tokens.passes < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        loop.cancel()
    assert tokens.passes >= 5
    assert len(dms(web, "U0BOB")) == 1
    # Pruned on the first pass, and not again within the hour.
    assert ledger.prunes == 1
