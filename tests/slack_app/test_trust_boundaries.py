"""Trust boundaries of the Slack endpoint, through the real HTTP endpoint: what reaches the app
before a signature is checked, and which signed requests are acted on."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import Engine

from devtools.local_web_api import LocalSlackWebAPI, slack_user
from slack_app.views import blocks
from slack_app.views.block_kit import block_dicts
from tasks.directory import UserDirectory
from tasks.service import TaskService
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import (
    TEAM,
    SlackHarness,
    app_mention,
    block_action,
    dm_message,
    event_callback,
    harness_settings,
    interactive,
    next_ts,
    running_server,
    seed_directory,
    sign,
    slash_command,
)
from tests.slack_app.test_shortcuts import (
    initial_values,
    message_action,
    open_form,
    view_submission,
)

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
    # Refused before Bolt saw it: no call to Slack at all, not even auth.test.
    assert slack.web.calls == []


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
    [_, actions] = block_dicts(
        blocks.task_card_blocks(
            {"id": number, "title": "Renew the TLS cert", "status": "open", "priority": "normal"},
            team_id=TEAM,
        )
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


FOREIGN = "T0OTHER"


def _foreign_event(event: dict[str, Any]) -> bytes:
    return event_callback(event, team_id=FOREIGN)


def test_a_mention_from_another_workspace_is_ignored(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = _foreign_event(app_mention("<@U0BOT> add renew the lease", team_id=FOREIGN))
    assert slack.post(body).status_code == 200
    slack.drain()
    assert slack.tasks(FOREIGN) == []
    assert slack.web.calls_to("chat.postMessage") == []
    assert [r for r in caplog.records if "another workspace" in r.getMessage()]


def test_a_dm_and_a_command_from_another_workspace_are_ignored(slack: SlackHarness) -> None:
    assert (
        slack.post(_foreign_event(dm_message("add call the bank", team_id=FOREIGN))).status_code
        == 200
    )
    command = slash_command(
        "add call the bank", team_id=FOREIGN, response_url=slack.web.response_url("x")
    )
    assert slack.post(command).status_code == 200
    slack.drain()
    assert slack.tasks(FOREIGN) == []
    assert not [call for call in slack.web.calls if call.method.startswith(("chat.", "views."))]
    assert slack.web.calls_to("response_url") == []


def test_slack_team_id_names_the_workspace_whatever_slack_answers(
    make_slack: SlackFactory, web: LocalSlackWebAPI
) -> None:
    """With SLACK_TEAM_ID set, the workspace served is that one, even when Slack's auth.test
    does not name a team."""
    web.answers["auth.test"] = lambda call: {"ok": True, "user_id": "U0BOT"}
    with make_slack(SLACK_TEAM_ID=TEAM) as slack:
        foreign = _foreign_event(app_mention("<@U0BOT> add renew the lease", team_id=FOREIGN))
        assert slack.post(foreign).status_code == 200
        assert (
            slack.post(event_callback(app_mention("<@U0BOT> add renew the lease"))).status_code
            == 200
        )
        slack.drain()
        assert slack.tasks(FOREIGN) == []
        assert [task.title for task in slack.tasks()] == ["Renew the lease"]


def test_slack_team_id_must_look_like_a_team_id(web: LocalSlackWebAPI) -> None:
    with pytest.raises(ValueError, match="SLACK_TEAM_ID"):
        harness_settings(web, "sqlite://", SLACK_TEAM_ID="acme")


def test_a_token_whose_workspace_is_unknown_serves_nobody(
    make_slack: SlackFactory, web: LocalSlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """When Slack's auth.test names no team, TaskPilot cannot tell its workspace from another:
    it acts for none rather than for every one."""
    caplog.set_level(logging.INFO)
    web.answers["auth.test"] = lambda call: {"ok": True, "user_id": "U0BOT"}
    with make_slack() as slack:
        body = event_callback(app_mention("<@U0BOT> add renew the lease"))
        assert slack.post(body).status_code == 200
        slack.drain()
        assert slack.tasks() == []
        assert slack.web.calls_to("chat.postMessage") == []
    assert [r for r in caplog.records if "SLACK_TEAM_ID" in r.getMessage()]


def test_another_workspace_uninstalling_the_app_is_not_reported_as_ours(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = _foreign_event({"type": "app_uninstalled", "event_ts": "1710000000.000100"})
    assert slack.post(body).status_code == 200
    slack.drain()
    assert not [r for r in caplog.records if r.getMessage().startswith("the app was uninstalled")]


@pytest.mark.parametrize(
    "event",
    [
        dm_message("You have been removed from #launch by <@U0BOB>", user_id="USLACKBOT"),
        dm_message("Reminder: add a task to renew the lease.", user_id="USLACKBOT"),
        app_mention("<@U0BOT> add renew the lease", user_id="USLACKBOT"),
        {
            "type": "app_home_opened",
            "user": "USLACKBOT",
            "channel": "D0SLACKBOT",
            "tab": "home",
            "event_ts": "1710000000.000200",
        },
    ],
    ids=["removed-notice", "reminder", "mention", "home"],
)
def test_slackbot_never_starts_a_turn_or_gets_a_home(
    slack: SlackHarness, event: dict[str, Any]
) -> None:
    assert slack.post(event_callback(event)).status_code == 200
    slack.drain()
    assert slack.tasks() == []
    assert not [call for call in slack.web.calls if call.method.startswith(("chat.", "views."))]


GUEST_TEAM = "T0PARTNER"


def _from_guest(event: dict[str, Any]) -> dict[str, Any]:
    """An event of a shared channel (Slack Connect) by someone of another organisation: Slack
    adds `user_team` and `source_team`, the team of the person who wrote it."""
    return {**event, "user": "U0GUEST", "user_team": GUEST_TEAM, "source_team": GUEST_TEAM}


@pytest.mark.parametrize(
    "event",
    [
        app_mention("<@U0BOT> add renew the lease"),
        app_mention("<@U0BOT> what's on the list?"),
        dm_message("add call the bank"),
    ],
    ids=["mention-create", "mention-list", "dm"],
)
def test_a_guest_from_another_organisation_is_refused_politely(
    slack: SlackHarness, event: dict[str, Any]
) -> None:
    assert slack.post(event_callback(_from_guest(event))).status_code == 200
    slack.drain()
    assert slack.tasks() == []
    said = [
        call
        for call in slack.web.calls
        if call.method in {"chat.postMessage", "chat.postEphemeral"}
    ]
    assert len(said) == 1
    assert "only for people of this workspace" in said[0].args["text"]
    assert "task" not in json.dumps(said[0].args.get("blocks", [])).lower()


def _as_guest(body: bytes) -> bytes:
    """An interaction payload (form-encoded `payload=`) sent by a person of another
    organisation in a shared channel: Slack names their own team in `user.team_id`."""
    from urllib.parse import parse_qs

    payload = json.loads(parse_qs(body.decode())["payload"][0])
    payload["user"] = {"id": "U0GUEST", "username": "gus", "name": "gus", "team_id": GUEST_TEAM}
    return interactive(payload)


def test_a_guest_clicking_the_message_shortcut_gets_no_form(slack: SlackHarness) -> None:
    body = _as_guest(message_action("please renew the lease", web=slack.web, ts=next_ts()))
    assert slack.post(body).status_code == 200
    slack.drain()
    assert not [call for call in slack.web.calls if call.method.startswith("views.")]
    [answer] = slack.web.calls_to("response_url")
    assert "only for people of this workspace" in answer.args["text"]
    assert slack.tasks() == []


def test_a_guest_submitting_the_task_form_writes_nothing(slack: SlackHarness) -> None:
    """A form a member opened, submitted by a guest (the same modal's payload under the
    guest's name) creates nothing."""
    _, form = open_form(slack, slack.web, "please renew the lease")
    response = slack.post(_as_guest(view_submission(form, initial_values(form))))
    slack.drain()
    assert response.status_code == 200
    assert slack.tasks() == []
    assert "only for people of this workspace" in response.text


def test_a_person_of_another_organisation_gets_no_app_home(slack: SlackHarness) -> None:
    slack.web.users.append(slack_user("U0GUEST", "gus", "Gus Partner", team_id=GUEST_TEAM))
    event = {
        "type": "app_home_opened",
        "user": "U0GUEST",
        "channel": "D0GUEST",
        "tab": "home",
        "event_ts": next_ts(),
    }
    assert slack.post(event_callback(event)).status_code == 200
    slack.drain()
    assert slack.web.calls_to("views.publish") == []
    with slack.sessions() as session:
        assert UserDirectory(session, team_id=TEAM).get("U0GUEST") is None


def test_a_directory_sync_keeps_people_of_other_organisations_out(slack: SlackHarness) -> None:
    from slack_app.jobs.directory_sync import save_members

    guest = slack_user("U0GUEST", "gus", "Gus Partner", team_id=GUEST_TEAM)
    grid_member = {
        **slack_user("U0GRID", "gina", "Gina Grid", team_id="T0SISTER"),
        "enterprise_user": {"enterprise_id": "E0ORG", "teams": ["T0SISTER", TEAM]},
    }
    saved = save_members(slack.sessions, team_id=TEAM, members=[guest, grid_member])
    assert saved == 1
    with slack.sessions() as session:
        directory = UserDirectory(session, team_id=TEAM)
        assert directory.get("U0GUEST") is None
        assert directory.get("U0GRID") is not None


def test_a_person_of_another_organisation_cannot_be_given_a_task(slack: SlackHarness) -> None:
    """A member picks a Slack Connect guest in the card's people picker: the task stays
    unassigned, the member hears why, and the guest is not added to the directory."""
    from tests.slack_app.test_actions import click, control, make_task

    slack.web.users.append(slack_user("U0GUEST", "gus", "Gus Partner", team_id=GUEST_TEAM))
    number = make_task(slack)
    click(slack, slack.web, control(number, blocks.ACTION_ASSIGN, selected_user="U0GUEST"))
    [task] = slack.tasks()
    assert task.assignee_id is None
    [answer] = slack.web.calls_to("response_url")
    assert "not someone in this workspace" in answer.args["text"]


@pytest.mark.parametrize("value", [f"{TEAM}:²", f"{TEAM}:99999999999999999999", f"{TEAM}:-1", ":1"])
def test_a_card_value_that_is_no_task_number_gets_a_clear_answer(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    action = {
        "type": "button",
        "action_id": blocks.ACTION_DONE,
        "value": value,
        "block_id": "task_actions:x",
    }
    body = block_action(action, response_url=slack.web.response_url())
    assert slack.post(body).status_code == 200
    slack.drain()
    assert not [record for record in caplog.records if record.exc_info]
    [answer] = slack.web.calls_to("response_url")
    assert "out of date" in answer.args["text"]


def test_a_response_url_outside_slack_is_never_fetched(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with LocalSlackWebAPI() as elsewhere:
        body = slash_command("add renew the lease", response_url=elsewhere.response_url("x"))
        assert slack.post(body).status_code == 200
        slack.drain()
        assert elsewhere.calls == []
    assert slack.tasks() == []
    assert [r for r in caplog.records if "response_url" in r.getMessage()]


def test_a_response_url_of_slack_is_answered(slack: SlackHarness) -> None:
    body = slash_command("add renew the lease", response_url=slack.web.response_url("ok"))
    assert slack.post(body).status_code == 200
    slack.drain()
    assert len(slack.web.calls_to("response_url")) == 1


def test_a_nul_in_slack_text_never_reaches_the_database(
    engine: Engine, web: LocalSlackWebAPI
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with running_server(harness_settings(web, url), engine, web=web) as harness:
        seed_directory(harness)
        body = event_callback(app_mention("<@U0BOT> add order\u0000 toner"))
        assert harness.post(body).status_code == 200
        harness.drain()
        assert [task.title for task in harness.tasks()] == ["Order toner"]
