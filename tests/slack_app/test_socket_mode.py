"""Socket Mode against a local WebSocket server playing Slack's side of the connection.

`apps.connections.open` on the local Web API hands out the server's URL; the server says
`hello`, sends Events API envelopes and records the acknowledgements the app sends back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from sqlmodel import Session, select

from core.db import make_engine
from core.settings import Settings
from devtools.local_web_api import LocalSlackWebAPI, RecordedCall
from slack_app.configuration import SlackNotConfigured
from slack_app.delivery.socket_mode import SocketModeRefused, run_socket_mode
from tasks.models import Task
from tests.slack_app.support import CHANNEL, TEAM, app_mention, event_callback, harness_settings

APP_TOKEN = "xapp-1-A0TASKPILOT-1234-abcdef"  # made up for the tests


class SlackSocketServer:
    """The Slack end of a Socket Mode connection, on loopback."""

    def __init__(self) -> None:
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self._socket: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/link", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # pyright: ignore[reportPrivateUsage]
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # pyright: ignore[reportAttributeAccessIssue]
        self.url = f"ws://127.0.0.1:{port}/link"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-local", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0TASKPILOT"},
            }
        )
        self.connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        self.closed.set()
        return socket

    async def send(self, envelope: dict[str, Any]) -> None:
        assert self._socket is not None
        await self._socket.send_json(envelope)


def events_api(event: dict[str, Any]) -> dict[str, Any]:
    """An `events_api` envelope as Slack sends it over the socket."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": json.loads(event_callback(event)),
    }


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    path = tmp_path / "taskpilot.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def socket_settings(web_api: LocalSlackWebAPI, database_url: str, **overrides: Any) -> Settings:
    return harness_settings(web_api, database_url, **{"SLACK_APP_TOKEN": APP_TOKEN, **overrides})


def tasks_in(database_url: str) -> list[Task]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(Task).where(Task.team_id == TEAM)).all())
    finally:
        engine.dispose()


Scenario = Callable[[SlackSocketServer, asyncio.Event, "asyncio.Task[None]"], Awaitable[None]]


def run_with_socket(web_api: LocalSlackWebAPI, settings: Settings, scenario: Scenario) -> None:
    """Run the app in Socket Mode against a local socket server while `scenario` plays."""

    async def main() -> None:
        server = SlackSocketServer()
        url = await server.start()
        web_api.answers["apps.connections.open"] = lambda call: {"ok": True, "url": url}
        stop = asyncio.Event()
        running = asyncio.create_task(run_socket_mode(settings, stop=stop))
        try:
            await asyncio.wait_for(server.connected.wait(), 20)
            await scenario(server, stop, running)
        finally:
            stop.set()
            await asyncio.wait_for(running, 40)
            await server.stop()

    asyncio.run(main())


def test_a_mention_over_the_socket_is_acked_on_it_and_answered_through_the_web_api(
    web: LocalSlackWebAPI, database_url: str
) -> None:
    event = app_mention("<@U0BOT> add a task to renew the TLS cert")
    envelope = events_api(event)

    async def scenario(
        server: SlackSocketServer, stop: asyncio.Event, running: asyncio.Task[None]
    ) -> None:
        await server.send(envelope)
        ack = await asyncio.wait_for(server.acks.get(), 20)
        assert ack["envelope_id"] == envelope["envelope_id"]
        await asyncio.to_thread(web.wait_for, "chat.postMessage", timeout=20)

    # Socket Mode needs no signing secret: nothing over the socket is signed.
    run_with_socket(web, socket_settings(web, database_url, SLACK_SIGNING_SECRET=None), scenario)

    [opened] = web.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    [task] = tasks_in(database_url)
    assert "TLS cert" in task.title
    [post] = web.calls_to("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    assert post.args["thread_ts"] == event["ts"]
    assert f"#{task.number}" in json.dumps(post.args["blocks"])


def test_sigterm_closes_the_socket_then_lets_acknowledged_work_finish(
    web: LocalSlackWebAPI, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    release = web.hold("chat.postMessage")

    async def scenario(
        server: SlackSocketServer, stop: asyncio.Event, running: asyncio.Task[None]
    ) -> None:
        await server.send(events_api(app_mention("<@U0BOT> add a task to order badges")))
        await asyncio.wait_for(server.acks.get(), 20)
        # The reply is now stuck in the Web API when the process is told to stop.
        await asyncio.to_thread(web.wait_for, "chat.postMessage", timeout=20)
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.wait_for(server.closed.wait(), 20)
        # Closed for new work, the app waits for the held reply: it cannot stop before it.
        done, _ = await asyncio.wait({running}, timeout=0.5)
        assert not done
        release.set()
        await asyncio.wait_for(running, 40)
        assert stop.is_set()

    with caplog.at_level(logging.WARNING):
        run_with_socket(web, socket_settings(web, database_url), scenario)
    assert not any("still in flight" in record.getMessage() for record in caplog.records)
    assert len(tasks_in(database_url)) == 1
    assert len(web.calls_to("chat.postMessage")) == 1
    # The signal handlers are handed back when the app stops.
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)


def test_a_refused_app_token_is_a_clear_error(web: LocalSlackWebAPI, database_url: str) -> None:
    def refuse(call: RecordedCall) -> dict[str, Any]:
        del call
        return {"ok": False, "error": "invalid_auth"}

    web.answers["apps.connections.open"] = refuse
    with pytest.raises(SocketModeRefused, match=r"invalid_auth.*SLACK_APP_TOKEN"):
        asyncio.run(run_socket_mode(socket_settings(web, database_url)))


@pytest.mark.parametrize(
    ("token", "expected"),
    [(None, "set SLACK_APP_TOKEN"), ("xoxb-a-bot-token", "must be an app-level token")],
    ids=["missing", "bot-token"],
)
def test_socket_mode_without_an_app_token_says_what_to_set(
    web: LocalSlackWebAPI, database_url: str, token: str | None, expected: str
) -> None:
    settings = socket_settings(web, database_url, SLACK_APP_TOKEN=token)
    with pytest.raises(SlackNotConfigured, match=expected):
        asyncio.run(run_socket_mode(settings))
    assert web.calls == []
