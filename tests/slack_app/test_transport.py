"""The Slack endpoint under Slack's delivery rules: signatures, acks, retries, bots, faults."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest

from agent.result import TurnResult
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.delivery.turns import reply_blocks
from slack_app.views.block_kit import block_dicts
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import (
    CHANNEL,
    SlackHarness,
    app_mention,
    event_callback,
    slash_command,
)


def test_url_verification_answers_the_challenge(slack: SlackHarness) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    response = slack.post(body)
    assert response.status_code == 200
    assert response.json()["challenge"].startswith("3eZbrw1aBm")


def test_a_mention_creates_the_task_and_answers_in_the_thread(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    event = app_mention("<@U0BOT> add a task to renew the TLS cert for @bob tomorrow")
    response = slack.post(event_callback(event))
    assert response.status_code == 200
    slack.drain()
    [task] = slack.tasks()
    assert "TLS cert" in task.title
    assert task.assignee_id == "U0BOB"
    [post] = [c for c in web.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert post.args["thread_ts"] == event["ts"]
    assert f"#{task.number}" in json.dumps(post.args["blocks"])


@pytest.mark.parametrize(
    ("secret", "age"),
    [("not-the-signing-secret", 0), ("test-signing-secret", 6 * 60)],
    ids=["forged", "stale"],
)
def test_forged_or_stale_requests_get_401_and_nothing_runs(
    slack: SlackHarness, web: LocalSlackWebAPI, secret: str, age: int
) -> None:
    body = slash_command("add renew TLS cert", response_url=web.response_url())
    response = slack.post(body, secret=secret, timestamp=int(time.time()) - age)
    assert response.status_code == 401
    event = event_callback(app_mention("<@U0BOT> add a task to renew the TLS cert"))
    assert slack.post(event, secret=secret, timestamp=int(time.time()) - age).status_code == 401
    assert slack.post(event, signed=False).status_code == 401
    slack.drain()
    assert slack.tasks() == []
    assert web.calls == []


def test_four_deliveries_of_one_event_make_one_task_and_one_reply(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    body = event_callback(
        app_mention("<@U0BOT> add a task to order new badges for carol"), event_id="Ev0DUPLICATE"
    )
    statuses: list[int] = []

    def deliver(retry: int) -> None:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        statuses.append(slack.post(body, headers=headers if retry else {}).status_code)

    # The original and two retries at once, the third retry after the work is done.
    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slack.drain()
    deliver(3)
    slack.drain()
    assert statuses == [200, 200, 200, 200]
    assert len(slack.tasks()) == 1
    assert len(web.calls_to("chat.postMessage")) == 1


def test_the_ack_does_not_wait_for_the_reply(slack: SlackHarness, web: LocalSlackWebAPI) -> None:
    release = web.hold("chat.postMessage")
    # The reply is held for up to 30 s; an ack that waited for it would miss this timeout and
    # raise, so getting the 200 at all shows the ack came first.
    response = slack.post(
        event_callback(app_mention("<@U0BOT> add a task to water the plants")), timeout=5
    )
    assert response.status_code == 200
    web.wait_for("chat.postMessage")  # the reply was on its way, held, when the 200 came back
    release.set()
    slack.drain()
    assert len(web.calls_to("chat.postMessage")) == 1


def test_the_bots_own_messages_and_other_bots_are_ignored(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    own = app_mention("<@U0BOT> add a task to loop forever", user_id="U0BOT")
    own["bot_id"] = "B0BOT"
    other = app_mention("<@U0BOT> add a task from another bot", user_id="U0OTHERBOT")
    other["bot_id"] = "B0OTHER"
    for event in (own, other):
        assert slack.post(event_callback(event)).status_code == 200
    slack.drain()
    assert slack.tasks() == []
    assert web.calls_to("chat.postMessage") == []


def test_a_429_from_the_web_api_is_retried_after_retry_after(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    web.rate_limit("chat.postMessage", retry_after=1)
    slack.post(event_callback(app_mention("<@U0BOT> add a task to book the venue")))
    slack.drain()
    first, second = web.calls_to("chat.postMessage")
    assert second.at - first.at >= 1.0
    assert len(slack.tasks()) == 1


def test_web_api_down_while_replying_keeps_the_task_retries_and_logs(
    slack: SlackHarness, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    web.server_error("chat.postMessage", times=10)
    with caplog.at_level(logging.ERROR):
        slack.post(event_callback(app_mention("<@U0BOT> add a task to renew the domain")))
        slack.drain()
    [task] = slack.tasks()
    assert "domain" in task.title
    assert len(web.calls_to("chat.postMessage")) == 4  # the first try and three retries
    assert any("could not" in record.getMessage() for record in caplog.records)


def test_a_revoked_bot_token_acknowledges_does_no_work_and_logs(
    slack: SlackHarness, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    web.tokens.clear()  # Slack now answers invalid_auth for the configured token.
    with caplog.at_level(logging.ERROR):
        response = slack.post(event_callback(app_mention("<@U0BOT> add a task to fix auth")))
        slack.drain()
    assert response.status_code == 200
    assert slack.tasks() == []
    assert web.calls_to("chat.postMessage") == []
    assert [call.method for call in web.calls] == ["auth.test"]
    assert any("invalid_auth" in record.getMessage() for record in caplog.records)


def test_other_bots_are_answered_when_allowed(
    make_slack: SlackFactory, web: LocalSlackWebAPI
) -> None:
    with make_slack(SLACK_ALLOW_BOT_MESSAGES=True) as slack:
        own = app_mention("<@U0BOT> add a task to loop forever", user_id="U0BOT")
        own["bot_id"] = "B0BOT"
        other = app_mention("<@U0BOT> add a task to triage the alert", user_id="U0PAGER")
        other["bot_id"] = "B0PAGER"
        for event in (own, other):
            assert slack.post(event_callback(event)).status_code == 200
        slack.drain()
        [task] = slack.tasks()
        assert task.title == "Triage the alert"
        assert len(web.calls_to("chat.postMessage")) == 1


def test_long_replies_and_many_cards_stay_within_slacks_limits() -> None:
    cards = [
        {"id": n, "title": f"Task {n}", "status": "open", "priority": "normal"}
        for n in range(1, 60)
    ]
    reply = "\n".join(f"{n}. Task {n} <is> & due" for n in range(1, 400))
    result = TurnResult(reply=reply, model="offline", prompt_version="v2", cards=cards)
    messages = [block_dicts(message) for message in reply_blocks(result, team_id="T0TEST")]
    assert len(messages) > 1
    for blocks in messages:
        assert len(blocks) <= 50
        for block in blocks:
            text = block.get("text", {}).get("text", "")
            assert len(text) <= 3000
            assert "<is>" not in text
    closing = messages[-1][-1]["elements"][0]["text"]
    shown_cards = json.dumps(messages).count('"task_actions:')
    assert closing == f"…and {len(cards) - shown_cards} more. Narrow the list to see them."
    assert shown_cards > 0
