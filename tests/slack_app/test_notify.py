"""The assignee's DM and the App Home refreshes after a task changes through Slack."""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from devtools.local_web_api import LocalSlackWebAPI, RecordedCall
from slack_app.delivery import notify
from slack_app.views import blocks
from tasks.service import TaskService
from tests.slack_app.support import (
    CHANNEL,
    TEAM,
    SlackHarness,
    app_mention,
    event_callback,
)


def homes(web: LocalSlackWebAPI) -> list[str]:
    """The people whose App Home was published (views.publish), oldest first."""
    return [str(call.args["user_id"]) for call in web.calls_to("views.publish")]


def dms_to(web: LocalSlackWebAPI, user_id: str) -> list[RecordedCall]:
    """The messages posted straight to a person (channel = their user id)."""
    return [call for call in web.calls_to("chat.postMessage") if call.args["channel"] == user_id]


def mention(slack: SlackHarness, text: str, *, user_id: str = "U0ALICE") -> None:
    slack.post(event_callback(app_mention(f"<@U0BOT> {text}", user_id=user_id)))
    slack.drain()


def client(slack: SlackHarness) -> AsyncWebClient:
    return slack.services.client("xoxb-test-token")


def test_a_task_made_for_someone_else_dms_them_the_card_with_the_time_in_their_zone(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    # Alice lives in Paris; Bob in New York.
    mention(slack, "add a task to renew the TLS cert for @bob tomorrow at 5pm")
    [task] = slack.tasks()
    assert task.assignee_id == "U0BOB" and task.due_at is not None
    [dm] = dms_to(web, "U0BOB")
    bob_time = task.due_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    assert bob_time != "17:00"
    assert dm.args["text"].startswith(f"<@U0ALICE> assigned you *#{task.number} Renew the TLS")
    assert f"at {bob_time} (America/New_York)" in dm.args["text"]
    cards = [blocks.parse_block_id(str(block.get("block_id"))) for block in dm.args["blocks"]]
    assert (TEAM, task.number) in cards
    # The thread got its reply too, and nobody else was messaged.
    assert [call.args["channel"] for call in web.calls_to("chat.postMessage")] == [CHANNEL, "U0BOB"]
    assert sorted(homes(web)) == ["U0ALICE", "U0BOB"]


def test_a_task_taken_by_oneself_sends_no_dm(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    mention(slack, "add a task to book the venue for me")
    [task] = slack.tasks()
    assert task.assignee_id == "U0ALICE"
    assert dms_to(web, "U0ALICE") == []
    assert [call.args["channel"] for call in web.calls_to("chat.postMessage")] == [CHANNEL]
    assert homes(web) == ["U0ALICE"]


def test_reassigning_dms_the_new_assignee_once_and_a_repeat_or_an_update_dms_nobody(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    mention(slack, "add a task to order new badges for @bob")
    [task] = slack.tasks()
    assert len(dms_to(web, "U0BOB")) == 1

    before = len(homes(web))
    mention(slack, f"give #{task.number} to carol")
    assert slack.tasks()[0].assignee_id == "U0CAROL"
    [dm] = dms_to(web, "U0CAROL")
    assert dm.args["text"].startswith(f"<@U0ALICE> assigned you *#{task.number} ")
    # Alice acted, Bob lost the task, Carol got it; Alice created it.
    assert sorted(homes(web)[before:]) == ["U0ALICE", "U0BOB", "U0CAROL"]

    mention(slack, f"give #{task.number} to carol")
    mention(slack, f"make #{task.number} urgent")
    assert len(dms_to(web, "U0CAROL")) == 1
    assert len(dms_to(web, "U0BOB")) == 1
    assert dms_to(web, "U0ALICE") == []


def _create(slack: SlackHarness, *, actor: str, title: str, assignee: str | None) -> int:
    with slack.sessions() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id=actor, source="test")
        return service.create_task(title=title, assignee_id=assignee).number


def _assign(slack: SlackHarness, *, actor: str, number: int, assignee: str) -> None:
    with slack.sessions() as session, session.begin():
        service = TaskService(session, team_id=TEAM, actor_id=actor, source="test")
        service.assign_task(number=number, assignee_id=assignee)


def test_a_change_from_a_card_dms_the_assignee_and_refreshes_each_home_once(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = _create(slack, actor="U0CAROL", title="Water the <!channel> plants", assignee=None)
    _assign(slack, actor="U0ALICE", number=number, assignee="U0BOB")
    slack.run(
        notify.task_changed(
            slack.services,
            client=client(slack),
            team_id=TEAM,
            actor_id="U0ALICE",
            number=number,
            previous_assignee_id=None,
        )
    )
    [dm] = web.calls_to("chat.postMessage")
    assert dm.args["channel"] == "U0BOB"
    # The title is escaped, so a person's text cannot ping the channel.
    assert (
        dm.args["text"] == f"<@U0ALICE> assigned you *#{number} Water the &lt;!channel&gt; plants*"
    )
    assert sorted(homes(web)) == ["U0ALICE", "U0BOB", "U0CAROL"]


def test_a_change_that_keeps_the_assignee_dms_nobody(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = _create(slack, actor="U0ALICE", title="File the expenses", assignee="U0BOB")
    slack.run(
        notify.task_changed(
            slack.services,
            client=client(slack),
            team_id=TEAM,
            actor_id="U0ALICE",
            number=number,
            previous_assignee_id="U0BOB",
        )
    )
    assert web.calls_to("chat.postMessage") == []
    assert sorted(homes(web)) == ["U0ALICE", "U0BOB"]


def test_a_deleted_task_refreshes_the_homes_it_was_on_and_dms_nobody(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = _create(slack, actor="U0CAROL", title="Clean the fridge", assignee="U0BOB")
    with slack.sessions() as session, session.begin():
        TaskService(session, team_id=TEAM, actor_id="U0CAROL", source="test").delete_task(
            number=number
        )
    slack.run(
        notify.task_changed(
            slack.services,
            client=client(slack),
            team_id=TEAM,
            actor_id="U0CAROL",
            number=number,
            previous_assignee_id="U0BOB",
        )
    )
    assert web.calls_to("chat.postMessage") == []
    assert sorted(homes(web)) == ["U0BOB", "U0CAROL"]


def test_a_dm_slack_refuses_is_logged_not_raised_and_homes_still_refresh(
    slack: SlackHarness,
    web: LocalSlackWebAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    number = _create(slack, actor="U0ALICE", title="Send the Q3 deck", assignee="U0BOB")
    web.fail("chat.postMessage", "channel_not_found")
    with caplog.at_level(logging.ERROR, logger="slack_app.delivery.notify"):
        slack.run(
            notify.task_changed(
                slack.services,
                client=client(slack),
                team_id=TEAM,
                actor_id="U0ALICE",
                number=number,
                previous_assignee_id=None,
            )
        )
    assert len(web.calls_to("chat.postMessage")) == 1
    [record] = [r for r in caplog.records if r.name == "slack_app.delivery.notify"]
    assert record.getMessage() == "could not DM the new assignee"
    extra: dict[str, Any] = record.__dict__
    assert extra["error"] == "channel_not_found" and extra["user"] == "U0BOB"
    assert sorted(homes(web)) == ["U0ALICE", "U0BOB"]
