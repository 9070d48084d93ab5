"""Slack's direct writes are audited under the request behind them: over HTTP the id the server
answered in `X-Request-ID`, in Socket Mode the payload's trigger."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from sqlmodel import Session, col, select

from core.db import make_engine
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.delivery.request_ids import (
    DELIVERY_KEY,
    HTTP_REQUEST_ID,
    REQUEST_ID_CHARS,
    request_id_of,
)
from slack_app.views import blocks
from tasks.models import AuditAction, AuditEvent
from tasks.service import TaskService
from tests.slack_app.support import TEAM, SlackHarness, block_action, slash_command
from tests.slack_app.test_actions import control, make_task
from tests.slack_app.test_shortcuts import (
    FIX_LOGIN,
    initial_values,
    open_form,
    view_submission,
)
from tests.slack_app.test_socket_mode import (
    SlackSocketServer,
    run_with_socket,
    socket_settings,
)


def audit_events(session: Session, *, number: int) -> list[AuditEvent]:
    """The audit trail of task #`number` of the test team, oldest first."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.team_id == TEAM, AuditEvent.task_number == number)
        .order_by(col(AuditEvent.id))
    )
    return list(session.exec(statement).all())


def written(slack: SlackHarness, *, number: int, action: AuditAction) -> list[AuditEvent]:
    """The audit events of task #`number` the app wrote with `action`."""
    with slack.sessions() as session:
        return [event for event in audit_events(session, number=number) if event.action == action]


def answered_id(response: httpx.Response) -> str:
    """The request id the server answered with; every Slack request gets one."""
    assert response.status_code == 200
    request_id = response.headers.get("x-request-id")
    assert isinstance(request_id, str) and request_id
    return request_id


def post_click(
    slack: SlackHarness, web: LocalSlackWebAPI, action: dict[str, Any], **headers: str
) -> httpx.Response:
    """One click on a card control; waits for its change."""
    response = slack.post(block_action(action, response_url=web.response_url()), headers=headers)
    slack.drain()
    return response


def post_command(
    slack: SlackHarness, web: LocalSlackWebAPI, text: str, **headers: str
) -> httpx.Response:
    """`/task text` from alice; waits for the answer."""
    response = slack.post(slash_command(text, response_url=web.response_url()), headers=headers)
    assert response.text == ""
    slack.drain()
    return response


# -- card clicks ----------------------------------------------------------------------------


def test_a_card_click_is_audited_under_the_request_id_the_server_answered(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    response = post_click(slack, web, control(number, blocks.ACTION_DONE))

    [event] = written(slack, number=number, action=AuditAction.update)
    assert event.source == "slack"
    assert event.request_id == answered_id(response)


def test_a_card_click_keeps_the_request_id_the_caller_sent(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    response = post_click(
        slack,
        web,
        control(number, blocks.ACTION_ASSIGN, selected_user="U0BOB"),
        **{"X-Request-ID": "lb-7f3a9c01"},
    )

    assert answered_id(response) == "lb-7f3a9c01"
    [event] = written(slack, number=number, action=AuditAction.assign)
    assert event.request_id == "lb-7f3a9c01"


def test_two_clicks_are_audited_under_two_request_ids(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    first = post_click(
        slack, web, control(number, blocks.ACTION_PRIORITY, selected_option={"value": "high"})
    )
    second = post_click(slack, web, control(number, blocks.ACTION_DONE))

    events = written(slack, number=number, action=AuditAction.update)
    assert [event.request_id for event in events] == [answered_id(first), answered_id(second)]
    assert events[0].request_id != events[1].request_id


# -- /task ----------------------------------------------------------------------------------


def test_task_done_is_audited_under_the_request_id_the_server_answered(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    response = post_command(slack, web, f"done {number}")

    [event] = written(slack, number=number, action=AuditAction.update)
    assert event.changes["status"][1] == "done"
    assert event.request_id == answered_id(response)


def test_task_assign_is_audited_under_the_request_id_the_caller_sent(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    number = make_task(slack)
    response = post_command(
        slack, web, f"assign {number} <@U0BOB|bob>", **{"X-Request-ID": "cmd-assign-1"}
    )

    assert answered_id(response) == "cmd-assign-1"
    [event] = written(slack, number=number, action=AuditAction.assign)
    assert event.request_id == "cmd-assign-1"


def test_a_task_the_agent_adds_from_task_is_audited_under_the_request_id(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    response = post_command(slack, web, "add water the plants tomorrow")

    [task] = slack.tasks()
    [event] = written(slack, number=task.number, action=AuditAction.create)
    assert event.request_id == answered_id(response)


# -- the shortcut's modal -------------------------------------------------------------------


def test_the_shortcuts_task_is_audited_under_the_submissions_request_id(
    slack: SlackHarness, web: LocalSlackWebAPI
) -> None:
    _, form = open_form(slack, web, FIX_LOGIN)
    response = slack.post(view_submission(form, initial_values(form)))
    assert response.text == ""
    slack.drain()

    [task] = slack.tasks()
    [event] = written(slack, number=task.number, action=AuditAction.create)
    assert event.request_id == answered_id(response)


# -- Socket Mode ----------------------------------------------------------------------------


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    path = tmp_path / "taskpilot.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def test_a_click_over_the_socket_is_audited_under_its_trigger(
    web: LocalSlackWebAPI, database_url: str
) -> None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            service = TaskService(session, team_id=TEAM, actor_id="U0ALICE", source="test")
            number = service.create_task(title="Renew the TLS cert").number
    finally:
        engine.dispose()
    body = block_action(control(number, blocks.ACTION_DONE), response_url=web.response_url())
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    envelope = {
        "envelope_id": str(uuid.uuid4()),
        "type": "interactive",
        "accepts_response_payload": False,
        "payload": payload,
    }

    async def scenario(
        server: SlackSocketServer, stop: asyncio.Event, running: asyncio.Task[None]
    ) -> None:
        await server.send(envelope)
        ack = await asyncio.wait_for(server.acks.get(), 20)
        assert ack["envelope_id"] == envelope["envelope_id"]
        await asyncio.to_thread(web.wait_for, "response_url", timeout=20)

    run_with_socket(web, socket_settings(web, database_url, SLACK_SIGNING_SECRET=None), scenario)

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            events = audit_events(session, number=number)
    finally:
        engine.dispose()
    [event] = [event for event in events if event.action == AuditAction.update]
    assert event.request_id == f"slack:{payload['trigger_id']}"


# -- the order of the ids -------------------------------------------------------------------


def test_an_events_delivery_key_comes_before_the_http_request_id() -> None:
    context = {DELIVERY_KEY: "T0TEST:Ev0123", HTTP_REQUEST_ID: "req-1"}
    assert request_id_of(context, {"trigger_id": "1.2.abc"}) == "T0TEST:Ev0123"


def test_the_http_request_id_comes_before_the_trigger() -> None:
    assert request_id_of({HTTP_REQUEST_ID: "req-1"}, {"trigger_id": "1.2.abc"}) == "req-1"


def test_without_an_http_request_the_trigger_names_the_request() -> None:
    assert request_id_of({}, {"trigger_id": "1.2.abc"}) == "slack:1.2.abc"
    long_trigger = "9" * 80
    assert len(request_id_of({}, {"trigger_id": long_trigger})) == REQUEST_ID_CHARS


@pytest.mark.parametrize("context", [{}, {DELIVERY_KEY: None, HTTP_REQUEST_ID: ""}])
def test_with_nothing_to_go_by_each_request_gets_a_new_id(context: dict[str, Any]) -> None:
    first, second = request_id_of(context, {}), request_id_of(context, {"trigger_id": " "})
    assert first != second
    assert all(len(value) == 32 for value in (first, second))
