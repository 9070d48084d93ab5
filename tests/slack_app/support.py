"""Driving the Slack app as Slack does: signed requests to the real HTTP endpoint of a running
server, with the Web API pointed at `LocalSlackWebAPI` (a local recording server, not Slack).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx
import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session, select

from agent.assembly import build_runtime
from core.db import make_session_factory
from core.settings import Settings
from devtools.local_web_api import LocalSlackWebAPI
from slack_app.app import build_ledger, build_token_source, build_turn_queue
from slack_app.delivery.inflight import InFlight
from slack_app.services import SlackServices
from taskpilot.server import create_app
from tasks.models import Task

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0TEST"
CHANNEL = "C0GENERAL"

T = TypeVar("T")


def sign(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack adds: `X-Slack-Request-Timestamp` and the v0 HMAC-SHA256 signature of
    `v0:{timestamp}:{body}`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


# -- payloads shaped as Slack sends them ---------------------------------------------------


def slash_command(
    text: str,
    *,
    user_id: str = "U0ALICE",
    user_name: str = "alice",
    team_id: str = TEAM,
    channel_id: str = CHANNEL,
    response_url: str,
    command: str = "/task",
) -> bytes:
    """A slash command: a form-encoded body."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "taskpilot-test",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": "A0TASKPILOT",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.{uuid.uuid4().hex[:16]}",
        }
    ).encode()


def event_callback(
    event: Mapping[str, Any], *, event_id: str | None = None, team_id: str = TEAM
) -> bytes:
    """An Events API `event_callback` envelope: a JSON body."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "api_app_id": "A0TASKPILOT",
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": "U0BOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
        }
    ).encode()


_ts_counter = iter(range(1, 10**9))


def next_ts() -> str:
    """A fresh Slack message timestamp."""
    return f"1710000000.{next(_ts_counter):06d}"


def app_mention(
    text: str,
    *,
    user_id: str = "U0ALICE",
    channel: str = CHANNEL,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM,
) -> dict[str, Any]:
    """An `app_mention` event."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user_id,
        "text": text,
        "ts": ts or next_ts(),
        "channel": channel,
        "event_ts": ts or next_ts(),
        "team": team_id,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def dm_message(
    text: str,
    *,
    user_id: str = "U0ALICE",
    channel: str = "D0ALICE",
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM,
) -> dict[str, Any]:
    """A `message` event in a DM with the app (`message.im`)."""
    stamp = ts or next_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": "im",
        "user": user_id,
        "text": text,
        "ts": stamp,
        "event_ts": stamp,
        "channel": channel,
        "team": team_id,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def interactive(payload: Mapping[str, Any]) -> bytes:
    """An interactivity request: form-encoded with one `payload` field of JSON."""
    return urlencode({"payload": json.dumps(dict(payload))}).encode()


def block_action(
    action: Mapping[str, Any],
    *,
    user_id: str = "U0ALICE",
    team_id: str = TEAM,
    user_team_id: str | None = None,
    response_url: str,
    container: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
) -> bytes:
    """A `block_actions` payload for one click on a message (or a view when `view` is given)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": user_team_id or team_id},
        "api_app_id": "A0TASKPILOT",
        "token": "legacy-verification-token",
        "container": dict(
            container
            or {
                "type": "message",
                "message_ts": "1710000000.000001",
                "channel_id": CHANNEL,
                "is_ephemeral": False,
            }
        ),
        "trigger_id": f"{uuid.uuid4().int % 10**10}.1.{uuid.uuid4().hex[:16]}",
        "team": {"id": team_id, "domain": "taskpilot-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": CHANNEL, "name": "general"},
        "response_url": response_url,
        "actions": [{"action_ts": str(time.time()), **dict(action)}],
    }
    if view is not None:
        payload["view"] = dict(view)
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0VIEW")}
        del payload["response_url"]
        del payload["channel"]
    else:
        payload["message"] = {"type": "message", "ts": "1710000000.000001", "text": "card"}
    return interactive(payload)


@dataclass
class SlackHarness:
    """A running `taskpilot serve` app (uvicorn on loopback, in a thread) and the local Web API."""

    web: LocalSlackWebAPI
    settings: Settings
    services: SlackServices
    base_url: str
    loop: asyncio.AbstractEventLoop
    http: httpx.Client = field(repr=False)

    def post(
        self,
        body: bytes,
        *,
        path: str = "/slack/events",
        content_type: str | None = None,
        signed: bool = True,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """POST `body` as Slack would, signed unless told otherwise."""
        kind = content_type or (
            "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
        )
        sent = {
            "Content-Type": kind,
            **(sign(body, secret=secret, timestamp=timestamp) if signed else {}),
        }
        sent.update(headers or {})
        if timeout is None:
            return self.http.post(path, content=body, headers=sent)
        return self.http.post(path, content=body, headers=sent, timeout=timeout)

    def run(self, work: Coroutine[Any, Any, T], *, timeout: float = 30) -> T:
        """Run a coroutine on the server's event loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def drain(self, *, timeout: float = 30) -> None:
        """Wait until the work the server started after acknowledging is finished."""
        assert self.run(self.services.inflight.drain(timeout=timeout), timeout=timeout + 5), (
            "Slack work still in flight"
        )

    def sessions(self) -> Session:
        return self.services.session_factory()

    def tasks(self, team_id: str = TEAM) -> list[Task]:
        """The team's tasks in the database, by number."""
        with self.sessions() as session:
            rows = session.exec(select(Task).where(Task.team_id == team_id)).all()
            return sorted(rows, key=lambda task: task.number)


def seed_directory(harness: SlackHarness) -> None:
    """Put the local Web API's users into the directory, as a sync would have."""
    from tasks.directory import UserDirectory

    with harness.sessions() as session, session.begin():
        for user in harness.web.users:
            profile = user.get("profile", {})
            UserDirectory(session, team_id=user.get("team_id", TEAM)).upsert(
                user_id=user["id"],
                handle=user["name"],
                real_name=user.get("real_name"),
                display_name=profile.get("display_name"),
                tz=user.get("tz"),
                is_bot=bool(user.get("is_bot")),
                deleted=bool(user.get("deleted")),
            )


def harness_settings(web: LocalSlackWebAPI, database_url: str, **overrides: Any) -> Settings:
    """Settings for a test server: offline model, local Web API, background loops off."""
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_BASE_URL": web.base_url,
        "TASKPILOT_MODELS": "offline",
        "TASKPILOT_TIMEZONE": "UTC",
        "TASKPILOT_REMINDERS": False,
        "TASKPILOT_DIRECTORY_SYNC_MINUTES": 0,
        "TASKPILOT_SEED_DEMO": False,
        "REDIS_URL": None,
    }
    values.update(overrides)
    return Settings.model_validate(values)


def harness_services(settings: Settings, engine: Engine, *, worker: bool = False) -> SlackServices:
    """What `build_services` builds, on the test's engine: for the server, or (`worker`) for
    a turn worker, which runs turns itself whatever `TASKPILOT_TURN_QUEUE` says."""
    session_factory = make_session_factory(engine)
    return SlackServices(
        settings=settings,
        session_factory=session_factory,
        runtime=build_runtime(settings=settings),
        ledger=build_ledger(settings),
        inflight=InFlight(limit=settings.slack_max_concurrent_turns),
        tokens=build_token_source(settings, session_factory),
        turn_queue=None if worker else build_turn_queue(settings),
    )


@contextmanager
def running_server(
    settings: Settings,
    engine: Engine,
    *,
    web: LocalSlackWebAPI,
    services_hook: Callable[[SlackServices], None] | None = None,
) -> Iterator[SlackHarness]:
    """Start the server app for `settings` on a free loopback port; stop it afterwards."""
    services = harness_services(settings, engine)
    if services_hook is not None:
        services_hook(services)
    app = create_app(settings, services=services)
    # The keep-alive `taskpilot serve` uses: with uvicorn's 5 s default, a test that paused
    # longer reused a connection the server had just closed ("connection reset by peer").
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        lifespan="on",
        access_log=False,
        timeout_keep_alive=math.ceil(settings.keep_alive),
    )
    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    # A new connection per request. Reusing an idle keep-alive connection failed the first
    # request of a test with "connection reset by peer" about once in a few full runs, after
    # the server's keep-alive was raised to 75 s too; a fresh connection costs a loopback
    # handshake and takes the reuse race out of the tests.
    http = httpx.Client(
        base_url=base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0)
    )
    # FastAPI builds each route's dependencies on the first request that walks past it. Two
    # servers in one test process share the route modules, and building them on both at once
    # races on shared parameter objects; a request that walks every route settles it now.
    http.get("/__warm-up__")
    harness = SlackHarness(
        web=web, settings=settings, services=services, base_url=base_url, loop=loop, http=http
    )
    try:
        yield harness
    finally:
        http.close()
        server.should_exit = True
        thread.join(timeout=30)
        loop.close()
