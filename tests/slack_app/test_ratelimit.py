"""Agent-turn rate limits in Slack: a person (or team) over the limit gets a friendly reply and
no agent turn; others keep their own budgets."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from devtools.local_web_api import LocalSlackWebAPI
from slack_app.gate.over_limit import SLOW_DOWN_REPLY
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import TEAM, SlackHarness, app_mention, event_callback, slash_command


def _say(slack: SlackHarness, event: dict[str, Any]) -> None:
    assert slack.post(event_callback(event)).status_code == 200
    slack.drain()


def _replies(web: LocalSlackWebAPI) -> list[str]:
    return [str(call.args["text"]) for call in web.calls_to("chat.postMessage")]


def test_a_person_over_the_limit_gets_a_friendly_reply_and_no_task(
    make_slack: SlackFactory, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="slack_app.gate.over_limit")
    with make_slack(TASKPILOT_RATE_LIMIT_AGENT_USER="2/minute") as slack:
        for title in ("draft the launch post", "renew the certificate", "book the offsite"):
            _say(slack, app_mention(f"<@U0BOT> add a task to {title}"))
        titles = [task.title.lower() for task in slack.tasks()]
        replies = _replies(web)
        # Bob has a budget of his own.
        _say(slack, app_mention("<@U0BOT> add a task to order pizza", user_id="U0BOB"))
        after_bob = len(slack.tasks())
    assert len(titles) == 2
    assert not any("offsite" in title for title in titles)
    assert len(replies) == 3
    assert replies[2] == SLOW_DOWN_REPLY
    assert SLOW_DOWN_REPLY not in replies[:2]
    assert after_bob == 3
    [refusal] = [r for r in caplog.records if r.getMessage() == "agent turn refused: rate limit"]
    assert refusal.levelno == logging.INFO
    assert (refusal.__dict__["team"], refusal.__dict__["user"]) == (TEAM, "U0ALICE")
    assert not any("offsite" in record.getMessage() for record in caplog.records)


def test_a_team_over_its_limit_gets_the_friendly_reply_whoever_asks(
    make_slack: SlackFactory, web: LocalSlackWebAPI
) -> None:
    with make_slack(TASKPILOT_RATE_LIMIT_AGENT_TEAM="2/hour") as slack:
        _say(slack, app_mention("<@U0BOT> add a task to draft the launch post"))
        _say(slack, app_mention("<@U0BOT> add a task to order pizza", user_id="U0BOB"))
        _say(slack, app_mention("<@U0BOT> add a task to book the offsite", user_id="U0BOB"))
        count = len(slack.tasks())
    assert count == 2
    assert _replies(web)[-1] == SLOW_DOWN_REPLY


def test_a_slash_command_over_the_limit_is_answered_privately(
    make_slack: SlackFactory, web: LocalSlackWebAPI
) -> None:
    with make_slack(TASKPILOT_RATE_LIMIT_AGENT_USER="1/minute") as slack:
        for n, title in enumerate(("draft the launch post", "book the offsite")):
            url = web.response_url(f"r{n}")
            body = slash_command(f"add a task to {title}", response_url=url)
            assert slack.post(body).status_code == 200
            slack.drain()
        count = len(slack.tasks())
    assert count == 1
    [first] = [c.args for c in web.calls_to("response_url") if c.path.endswith("r0")]
    [second] = [c.args for c in web.calls_to("response_url") if c.path.endswith("r1")]
    assert first["text"] != SLOW_DOWN_REPLY
    assert second["text"] == SLOW_DOWN_REPLY
    assert second["response_type"] == "ephemeral"
