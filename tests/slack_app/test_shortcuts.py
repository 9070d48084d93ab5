"""The "Create task from message" shortcut through the real endpoint: modal, draft, task."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from devtools.local_web_api import LocalSlackWebAPI
from tasks.directory import UserDirectory
from tasks.due_dates import resolve_due
from tests.slack_app.support import CHANNEL, TEAM, SlackHarness, interactive, next_ts

ALICE_ZONE = ZoneInfo("Europe/Paris")
FIX_LOGIN = "<@U0BOB> please fix the login page by friday"


def message_action(
    text: str,
    *,
    web: LocalSlackWebAPI,
    ts: str,
    thread_ts: str | None = None,
    user_id: str = "U0ALICE",
    author: str = "U0CAROL",
) -> bytes:
    """A `message_action` payload, as Slack sends a message shortcut click."""
    message: dict[str, Any] = {"type": "message", "user": author, "ts": ts, "text": text}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return interactive(
        {
            "type": "message_action",
            "token": "legacy-verification-token",
            "action_ts": str(time.time()),
            "team": {"id": TEAM, "domain": "taskpilot-test"},
            "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": TEAM},
            "channel": {"id": CHANNEL, "name": "general"},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": "create_task_from_message",
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.{uuid.uuid4().hex[:16]}",
            "response_url": web.response_url("shortcut"),
            "message_ts": ts,
            "message": message,
        }
    )


def view_submission(view: dict[str, Any], values: dict[str, Any]) -> bytes:
    """A `view_submission` of `view` with the inputs' `values` (block_id -> value)."""
    state: dict[str, Any] = {}
    for block_id, value in values.items():
        if block_id == "assignee":
            entry = {"type": "users_select", "selected_user": value}
        elif block_id == "due_date":
            entry = {"type": "datepicker", "selected_date": value}
        elif block_id == "due_time":
            entry = {"type": "timepicker", "selected_time": value}
        elif block_id == "priority":
            entry = {"type": "static_select", "selected_option": {"value": value}}
        else:
            entry = {"type": "plain_text_input", "value": value}
        state[block_id] = {block_id: entry}
    return interactive(
        {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "taskpilot-test"},
            "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": TEAM},
            "api_app_id": "A0TASKPILOT",
            "token": "legacy-verification-token",
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.{uuid.uuid4().hex[:16]}",
            "view": {
                "id": "V0VIEW",
                "team_id": TEAM,
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view.get("private_metadata", ""),
                "blocks": view["blocks"],
                "state": {"values": state},
                "hash": "h2",
                "title": view["title"],
            },
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
    )


def as_view(raw: Any) -> dict[str, Any]:
    """A view argument as the Web API received it (JSON text or an object)."""
    return json.loads(raw) if isinstance(raw, str) else dict(raw)


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    [block] = [block for block in view["blocks"] if block.get("block_id") == block_id]
    return block["element"]


def initial_values(view: dict[str, Any]) -> dict[str, Any]:
    """What submitting the form untouched sends."""
    values: dict[str, Any] = {
        "title": element(view, "title").get("initial_value"),
        "description": element(view, "description").get("initial_value"),
        "assignee": element(view, "assignee").get("initial_user"),
        "due_date": element(view, "due_date").get("initial_date"),
        "due_time": element(view, "due_time").get("initial_time"),
        "priority": element(view, "priority")["initial_option"]["value"],
    }
    return values


def open_form(
    slack: SlackHarness, web: LocalSlackWebAPI, text: str, **kw: Any
) -> tuple[str, dict[str, Any]]:
    """Click the shortcut on a message; its ts and the form the modal became."""
    ts = next_ts()
    response = slack.post(message_action(text, web=web, ts=ts, **kw))
    assert response.status_code == 200
    assert response.text == ""
    slack.drain()
    [update] = web.calls_to("views.update")
    return ts, as_view(update.args["view"])


def test_the_shortcut_opens_a_modal_at_once_then_fills_it_from_the_message(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    ts, form = open_form(slack, web, FIX_LOGIN)

    [opened] = web.calls_to("views.open")
    assert "Reading the message…" in json.dumps(as_view(opened.args["view"]), ensure_ascii=False)
    # The modal opens first, before the link is fetched and the form filled in.
    methods = [call.method for call in web.calls]
    assert methods.index("views.open") < methods.index("chat.getPermalink")
    [update] = web.calls_to("views.update")
    assert update.args["view_id"] == "V0VIEW"
    assert element(form, "title")["initial_value"] == "Fix the login page"
    assert element(form, "assignee")["initial_user"] == "U0BOB"
    friday = resolve_due("friday", now=datetime.now(ALICE_ZONE)).day
    assert element(form, "due_date")["initial_date"] == friday.isoformat()
    permalink = f"https://taskpilot-test.slack.com/archives/{CHANNEL}/p{ts.replace('.', '')}"
    assert permalink in element(form, "description")["initial_value"]
    assert json.loads(form["private_metadata"])["permalink"] == permalink
    # Nothing is created until the person submits the form.
    assert slack.tasks() == []


def test_mentions_in_the_drafted_title_read_as_handles(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    _, form = open_form(slack, web, "can <@U0BOB> fix the login page by friday?")

    title = element(form, "title")["initial_value"]
    assert "@bob" in title and "<@" not in title
    friday = resolve_due("friday", now=datetime.now(ALICE_ZONE)).day
    assert element(form, "due_date")["initial_date"] == friday.isoformat()


def test_submitting_the_form_creates_the_task_and_posts_its_card_in_the_thread(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    parent = next_ts()
    ts, form = open_form(slack, web, FIX_LOGIN, thread_ts=parent)
    values = initial_values(form) | {"title": "Fix the login page for good", "priority": "high"}

    response = slack.post(view_submission(form, values))
    assert response.status_code == 200
    assert response.text == ""  # The modal closes.
    slack.drain()

    [task] = slack.tasks()
    assert task.title == "Fix the login page for good"
    assert task.assignee_id == "U0BOB"
    assert task.priority == "high"
    assert task.description is not None and f"/p{ts.replace('.', '')}" in task.description
    assert (task.source_channel, task.source_thread) == (CHANNEL, parent)
    [card] = [c for c in web.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert card.args["thread_ts"] == parent
    assert f"#{task.number}" in json.dumps(card.args["blocks"])
    # Bob hears about his new task.
    assert any(c.args["channel"] == "U0BOB" for c in web.calls_to("chat.postMessage"))


def test_a_due_time_in_the_form_is_kept_in_the_persons_zone(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    _, form = open_form(slack, web, "<@U0BOB> call the bank tomorrow at 5pm")
    assert element(form, "due_time")["initial_time"] == "17:00"

    slack.post(view_submission(form, initial_values(form)))
    slack.drain()
    [task] = slack.tasks()
    assert task.due_at is not None and not task.due_all_day
    assert task.due_at.astimezone(ALICE_ZONE).strftime("%H:%M") == "17:00"


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_a_channel_the_app_cannot_post_in_gets_the_card_by_dm(
    slack: SlackHarness, web: LocalSlackWebAPI, error: str
) -> None:
    _, form = open_form(slack, web, FIX_LOGIN)
    web.fail("chat.postMessage", error)

    slack.post(view_submission(form, initial_values(form)))
    slack.drain()

    [task] = slack.tasks()
    posts = web.calls_to("chat.postMessage")
    assert posts[0].args["channel"] == CHANNEL
    assert posts[1].args["channel"] == "U0ALICE"
    assert f"#{task.number}" in json.dumps(posts[1].args["blocks"])


def test_the_message_is_quoted_escaped_in_the_form(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    _, form = open_form(slack, web, "<!channel> fix <https://evil.example|this> & that")

    quote = json.dumps(form["blocks"][0])
    assert "&lt;!channel&gt;" in quote
    assert "&amp; that" in quote
    assert "<!channel>" not in quote


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"title": "   "}, "title", "Give the task a title."),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"due_date": None, "due_time": "09:30"}, "due_date", "Pick the day"),
        ({"assignee": "U0DAVE"}, "assignee", "deactivated"),
    ],
    ids=["empty-title", "long-title", "time-without-date", "deactivated-assignee"],
)
def test_form_errors_keep_the_modal_open_and_create_nothing(
    slack: SlackHarness, web: LocalSlackWebAPI, change: dict[str, Any], field: str, says: str
) -> None:
    with slack.sessions() as session, session.begin():
        UserDirectory(session, team_id=TEAM).upsert(
            user_id="U0DAVE", handle="dave", real_name="Dave Kim", deleted=True
        )
    _, form = open_form(slack, web, FIX_LOGIN)

    response = slack.post(view_submission(form, initial_values(form) | change))
    slack.drain()

    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert says in answer["errors"][field]
    assert slack.tasks() == []
    assert web.calls_to("chat.postMessage") == []


def test_an_expired_trigger_opens_nothing_and_creates_nothing(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.fail("views.open", "expired_trigger_id")
    response = slack.post(message_action(FIX_LOGIN, web=web, ts=next_ts()))
    assert response.status_code == 200
    slack.drain()
    assert web.calls_to("views.update") == []
    assert slack.tasks() == []
