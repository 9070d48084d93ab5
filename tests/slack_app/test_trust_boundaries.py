"""Trust boundaries of the Slack endpoint, through the real HTTP endpoint: what reaches the app
before a signature is checked, and which signed requests are acted on."""

from __future__ import annotations

import logging

import pytest

from slack_app import blocks
from tasks.service import TaskService
from tests.slack_app.support import TEAM, SlackHarness, block_action, sign, slash_command

_DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{x", "application/json"),
        (b"[]", "application/json"),
        (_DEEP, "application/json"),
        (b'{"type": "event_callback", "event": "\xff\xfe"}', "application/json"),
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
        (b"payload=%7Bbad", "application/x-www-form-urlencoded"),
        (b"payload=%FF%FE", "application/x-www-form-urlencoded"),
    ],
    ids=[
        "broken-json",
        "json-array",
        "deep-nesting",
        "bad-utf8-json",
        "bad-utf8-form",
        "bad-payload",
        "bad-payload-utf8",
    ],
)
def test_unsigned_junk_is_refused_before_it_is_read(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    response = slack.post(body, signed=False, content_type=content_type)
    assert response.status_code in {400, 401}
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not [record for record in caplog.records if record.exc_info]
    assert slack.web.calls == [] or all(
        call.method != "chat.postMessage" for call in slack.web.calls
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{x", "application/json"),
        (b"[]", "application/json"),
        (_DEEP, "application/json"),
        (b"payload=%7Bbad", "application/x-www-form-urlencoded"),
    ],
    ids=["broken-json", "json-array", "deep-nesting", "bad-payload"],
)
def test_signed_junk_gets_a_clear_refusal_not_a_traceback(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    response = slack.post(body, content_type=content_type)
    assert response.status_code < 500
    assert not [record for record in caplog.records if record.exc_info]


def test_a_captured_command_sent_again_acts_once(slack: SlackHarness) -> None:
    body = slash_command("add renew the alarm contract", response_url=slack.web.response_url("r"))
    captured = sign(body)
    for _ in range(2):
        response = slack.post(body, signed=False, headers=captured)
        assert response.status_code == 200
        slack.drain()
    assert [task.title for task in slack.tasks()] == ["Renew the alarm contract"]
    assert len(slack.web.calls_to("response_url")) == 1


def test_a_captured_click_sent_again_acts_once(slack: SlackHarness) -> None:
    with slack.sessions() as session, session.begin():
        number = (
            TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
            .create_task(title="Renew the TLS cert")
            .number
        )
    [_, actions] = blocks.task_card_blocks(
        {"id": number, "title": "Renew the TLS cert", "status": "open", "priority": "normal"},
        team_id=TEAM,
    )
    element = next(e for e in actions["elements"] if e["action_id"] == blocks.ACTION_DONE)
    action = {key: element[key] for key in ("type", "action_id", "value") if key in element}
    action["block_id"] = actions["block_id"]
    body = block_action(action, response_url=slack.web.response_url())
    captured = sign(body)
    for _ in range(2):
        assert slack.post(body, signed=False, headers=captured).status_code == 200
        slack.drain()
    assert len(slack.web.calls_to("response_url")) == 1


def test_the_same_command_typed_again_is_not_a_replay(slack: SlackHarness) -> None:
    for name in ("a", "b"):
        body = slash_command("add water the plants", response_url=slack.web.response_url(name))
        assert slack.post(body).status_code == 200
        slack.drain()
    assert [task.title for task in slack.tasks()] == ["Water the plants", "Water the plants"]
