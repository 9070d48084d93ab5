"""Mentions, DMs and the assistant panel: answers in the thread, remembered per thread."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from devtools.local_web_api import LocalSlackWebAPI
from tasks.models import AuditEvent
from tests.slack_app.support import (
    CHANNEL,
    SlackHarness,
    app_mention,
    dm_message,
    event_callback,
    next_ts,
)


def _say(slack: SlackHarness, event: dict[str, Any]) -> None:
    assert slack.post(event_callback(event)).status_code == 200
    slack.drain()


def test_a_thread_is_one_conversation_the_agent_remembers(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    first = app_mention("<@U0BOT> add a task to draft the launch post")
    _say(slack, first)
    _say(slack, app_mention("<@U0BOT> assign it to bob", thread_ts=first["ts"]))
    [task] = slack.tasks()
    assert task.assignee_id == "U0BOB"
    replies = [c for c in web.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert [reply.args["thread_ts"] for reply in replies] == [first["ts"], first["ts"]]


def test_another_thread_does_not_share_the_memory(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    _say(slack, app_mention("<@U0BOT> add a task to draft the launch post"))
    other = app_mention("<@U0BOT> assign it to bob")
    _say(slack, other)
    [task] = slack.tasks()
    assert task.assignee_id is None
    assert web.calls_to("chat.postMessage")[-1].args["thread_ts"] == other["ts"]


def test_a_direct_message_is_answered_in_its_thread(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    message = dm_message("remind me to call the bank on friday")
    _say(slack, message)
    [task] = slack.tasks()
    assert task.assignee_id == "U0ALICE"
    [reply] = web.calls_to("chat.postMessage")
    assert reply.args["channel"] == "D0ALICE"
    assert reply.args["thread_ts"] == message["ts"]


def test_edits_joins_and_plain_channel_messages_get_no_answer(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    edited = dm_message("add a task to sneak in an edit")
    edited["subtype"] = "message_changed"
    channel_chatter = dm_message("add a task nobody asked for", channel=CHANNEL)
    channel_chatter["channel_type"] = "channel"
    for event in (edited, channel_chatter):
        _say(slack, event)
    assert slack.tasks() == []
    assert web.calls_to("chat.postMessage") == []


def test_user_text_is_escaped_in_the_reply(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    _say(slack, app_mention("<@U0BOT> add a task to fix the a<b check & the c>d docs"))
    [task] = slack.tasks()
    assert "a<b check & the c>d docs" in task.title
    [reply] = web.calls_to("chat.postMessage")
    posted = json.dumps(reply.args["blocks"]) + reply.args["text"]
    assert "a<b" not in posted and "c>d" not in posted
    assert "a&lt;b check &amp; the c&gt;d docs" in posted


def test_the_assistant_panel_greets_with_suggested_prompts(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    thread_ts = next_ts()
    event = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "U0ALICE",
            "context": {"channel_id": CHANNEL, "team_id": "T0TEST", "enterprise_id": None},
            "channel_id": "D0ALICE",
            "thread_ts": thread_ts,
        },
        "event_ts": next_ts(),
    }
    _say(slack, event)
    [greeting] = web.calls_to("chat.postMessage")
    assert greeting.args["thread_ts"] == thread_ts
    [prompts] = web.calls_to("assistant.threads.setSuggestedPrompts")
    titles = [prompt["title"] for prompt in prompts.args["prompts"]]
    assert "What's on my plate?" in titles


def test_the_assistant_thinks_answers_and_titles_the_thread(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    thread_ts = next_ts()
    _say(slack, dm_message("add a task to renew the office lease", thread_ts=thread_ts))
    [status] = web.calls_to("assistant.threads.setStatus")
    assert status.args["status"] == "is thinking…"
    assert status.args["thread_ts"] == thread_ts
    [reply] = web.calls_to("chat.postMessage")
    assert reply.args["thread_ts"] == thread_ts
    [title] = web.calls_to("assistant.threads.setTitle")
    assert title.args["title"] == "add a task to renew the office lease"
    # The second message in the thread keeps the title.
    _say(slack, dm_message("make it high priority", thread_ts=thread_ts))
    assert len(web.calls_to("assistant.threads.setTitle")) == 1
    [task] = slack.tasks()
    assert task.priority.value == "high"


def test_the_audit_log_names_the_slack_event_behind_a_change(slack: SlackHarness) -> None:
    body = event_callback(
        app_mention("<@U0BOT> add a task to book the offsite"), event_id="Ev0AUDIT"
    )
    assert slack.post(body).status_code == 200
    slack.drain()
    with slack.sessions() as session:
        [event] = session.exec(select(AuditEvent)).all()
    assert (event.action, event.actor_id, event.source) == ("create", "U0ALICE", "slack")
    assert event.request_id == "T0TEST:Ev0AUDIT"
