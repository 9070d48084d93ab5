"""The workspace directory kept in step with Slack: users.list, user events, users.info."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import select

from devtools.local_web_api import LocalSlackWebAPI, slack_user
from slack_app.jobs import directory_sync
from slack_app.models import SlackDelivery
from tasks.directory import UserDirectory
from tasks.errors import UnknownUser
from tasks.models import DirectoryUser
from tests.slack_app.support import CHANNEL, TEAM, SlackHarness, app_mention, event_callback


def forget_everyone(slack: SlackHarness) -> None:
    with slack.sessions() as session, session.begin():
        session.execute(delete(DirectoryUser))


def person(slack: SlackHarness, user_id: str) -> DirectoryUser | None:
    with slack.sessions() as session:
        return UserDirectory(session, team_id=TEAM).get(user_id)


def resolve(slack: SlackHarness, said: str) -> str:
    with slack.sessions() as session:
        return UserDirectory(session, team_id=TEAM).resolve(said, actor_id="U0ALICE").user_id


def eventually(check: Callable[[], bool], *, timeout: float = 10) -> None:
    """Wait for work Slack's event started after the ack (it runs after the response)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the event's work did not happen"
        time.sleep(0.02)


def sync(slack: SlackHarness) -> int:
    client = slack.services.client("xoxb-test-token")
    return slack.run(directory_sync.sync_team(slack.services, client=client, team_id=TEAM))


def bob(**changes: Any) -> dict[str, Any]:
    """Bob's user object as Slack sends it in users.list and user events."""
    user = slack_user("U0BOB", "bob", "Bob Ortiz", tz="America/New_York")
    profile = {**user["profile"], **changes.pop("profile", {})}
    return {**user, **changes, "profile": profile}


def test_users_list_is_read_page_by_page_and_then_bob_resolves(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    forget_everyone(slack)
    web.users += [slack_user(f"U1{n:04d}", f"member{n}", f"Member {n}") for n in range(250)]
    web.users.append({**slack_user("U0GONE", "gone", "Gone Person"), "deleted": True})
    web.users.append({**slack_user("USLACKBOT", "slackbot", "Slackbot"), "is_bot": False})

    assert sync(slack) == 3 + 250 + 2

    first, second = web.calls_to("users.list")
    assert int(first.args["limit"]) == 200 and "cursor" not in first.args
    assert second.args["cursor"] == "200"
    assert resolve(slack, "bob") == "U0BOB"
    assert resolve(slack, "Member 249") == "U10249"
    found = person(slack, "U0BOB")
    assert found is not None
    assert (found.real_name, found.display_name, found.tz) == (
        "Bob Ortiz",
        "bob",
        "America/New_York",
    )
    with pytest.raises(UnknownUser, match="deactivated"):
        resolve(slack, "gone")
    with pytest.raises(UnknownUser, match="bot"):
        resolve(slack, "slackbot")


def test_a_second_sync_updates_people_in_place(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    sync(slack)
    web.users[1] = bob(deleted=True)
    sync(slack)
    found = person(slack, "U0BOB")
    assert found is not None and found.deleted
    with pytest.raises(UnknownUser, match="deactivated"):
        resolve(slack, "bob")


def test_user_change_renames_a_person_and_finishes_the_delivery(slack: SlackHarness) -> None:
    renamed = bob(name="robert", real_name="Robert Ortiz", tz="Europe/London")
    renamed["profile"]["display_name"] = "Rob"
    body = event_callback(
        {"type": "user_change", "user": renamed, "cache_ts": 1710000000, "event_ts": "1.2"},
        event_id="Ev0USERCHANGE",
    )
    assert slack.post(body).status_code == 200

    def renamed_in_directory() -> bool:
        found = person(slack, "U0BOB")
        return found is not None and found.handle == "robert"

    eventually(renamed_in_directory)
    assert resolve(slack, "robert") == "U0BOB"
    assert resolve(slack, "Rob") == "U0BOB"
    found = person(slack, "U0BOB")
    assert found is not None and found.tz == "Europe/London"

    def delivery_done() -> bool:
        with slack.sessions() as session:
            row = session.exec(
                select(SlackDelivery).where(SlackDelivery.key == f"{TEAM}:Ev0USERCHANGE")
            ).first()
            return row is not None and row.status == "done"

    eventually(delivery_done)


def test_a_user_change_that_deactivates_someone_marks_them_deleted(slack: SlackHarness) -> None:
    slack.post(event_callback({"type": "user_change", "user": bob(deleted=True)}))

    def deleted() -> bool:
        found = person(slack, "U0BOB")
        return found is not None and found.deleted

    eventually(deleted)
    with pytest.raises(UnknownUser, match="deactivated"):
        resolve(slack, "bob")


def test_someone_who_joins_the_team_can_be_given_tasks_by_name(slack: SlackHarness) -> None:
    erin = slack_user("U0ERIN", "erin", "Erin Park", tz="Europe/Berlin")
    slack.post(event_callback({"type": "team_join", "user": erin}))
    eventually(lambda: person(slack, "U0ERIN") is not None)
    assert resolve(slack, "erin") == "U0ERIN"


def test_an_unknown_speaker_is_looked_up_with_users_info_once(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.users.append(slack_user("U0ERIN", "erin", "Erin Park", tz="Europe/Berlin"))
    for text in ("add a task to water the plants", "add a task to feed the cat"):
        slack.post(event_callback(app_mention(f"<@U0BOT> {text}", user_id="U0ERIN")))
        slack.drain()
    [lookup] = web.calls_to("users.info")
    assert lookup.args["user"] == "U0ERIN"
    found = person(slack, "U0ERIN")
    assert found is not None and (found.handle, found.tz) == ("erin", "Europe/Berlin")
    assert [task.creator_id for task in slack.tasks()] == ["U0ERIN", "U0ERIN"]


def test_a_speaker_slack_cannot_look_up_is_logged_and_still_answered(
    slack: SlackHarness, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="slack_app.jobs.directory_sync"):
        slack.post(
            event_callback(app_mention("<@U0BOT> add a task to fix the door", user_id="U0ZED"))
        )
        slack.drain()
    assert len(web.calls_to("users.info")) == 1
    [record] = [r for r in caplog.records if r.name == "slack_app.jobs.directory_sync"]
    assert record.getMessage() == "could not look up a new Slack user"
    assert record.__dict__["error"] == "user_not_found"
    assert person(slack, "U0ZED") is None
    [task] = slack.tasks()
    assert task.creator_id == "U0ZED"
    [reply] = web.calls_to("chat.postMessage")
    assert reply.args["channel"] == CHANNEL


def test_the_sync_loop_syncs_every_team_when_it_starts_and_keeps_running(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    forget_everyone(slack)
    web.users.append(slack_user("U0DAVE", "dave", "Dave Kim", tz="Europe/Berlin"))
    services = dataclasses.replace(
        slack.services,
        settings=slack.settings.model_copy(update={"directory_sync_minutes": 360}),
    )
    loop = asyncio.run_coroutine_threadsafe(directory_sync.sync_loop(services), slack.loop)
    try:
        eventually(lambda: person(slack, "U0DAVE") is not None)
        assert resolve(slack, "bob") == "U0BOB"
        assert not loop.done()
    finally:
        loop.cancel()
    assert len(web.calls_to("users.list")) == 1


def test_a_sync_slack_refuses_is_logged_and_the_loop_goes_on(
    slack: SlackHarness, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    web.fail("users.list", "invalid_auth")
    with caplog.at_level(logging.ERROR, logger="slack_app.jobs.directory_sync"):
        assert slack.run(directory_sync.sync_all(slack.services)) == 0
    [record] = [r for r in caplog.records if r.name == "slack_app.jobs.directory_sync"]
    assert record.getMessage() == "could not sync the directory from Slack"
    assert record.__dict__["error"] == "invalid_auth"
    assert slack.run(directory_sync.sync_all(slack.services)) == 3
