"""`taskpilot serve` as a person runs it, against the local Web API server (not Slack)."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from core.db import make_engine, make_session_factory
from devtools.local_web_api import LocalSlackWebAPI
from tasks.models import Task
from tests.serve_process import free_port, running_serve, serve_env
from tests.slack_app.support import (
    SIGNING_SECRET,
    app_mention,
    event_callback,
    sign,
    slash_command,
)

pytestmark = pytest.mark.slow


class Server:
    """A `taskpilot serve` process and how to talk to it."""

    def __init__(self, process: subprocess.Popen[str], url: str, database_url: str) -> None:
        self.process = process
        self.url = url
        self.database_url = database_url

    def post(
        self,
        body: bytes,
        *,
        signed: bool = True,
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        kind = "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
        sent = {"Content-Type": kind, **(sign(body, secret=secret) if signed else {})}
        sent.update(headers or {})
        return httpx.post(f"{self.url}/slack/events", content=body, headers=sent, timeout=10)

    def tasks(self) -> list[Task]:
        engine = make_engine(self.database_url)
        try:
            with make_session_factory(engine)() as session:
                return list(session.exec(select(Task)).all())
        finally:
            engine.dispose()


@pytest.fixture
def server(tmp_path: Path, web: LocalSlackWebAPI) -> Iterator[Server]:
    database_url = f"sqlite:///{tmp_path / 'taskpilot.db'}"
    env = serve_env(database_url=database_url, port=free_port(), web_api=web.base_url)
    with running_serve(env, cwd=tmp_path) as served:
        # The directory sync at start-up has fetched the workspace's people.
        web.wait_for("users.list")
        yield Server(served.process, served.url, database_url)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert served.process.returncode in (0, -signal.SIGTERM), served.log
    assert "Application shutdown complete" in served.log, served.log
    assert "Traceback" not in served.log, served.log


def test_slash_command_is_acknowledged_then_creates_the_task_and_posts_the_card(
    server: Server, web: LocalSlackWebAPI
) -> None:
    # The reply is held in the Web API, so the ack cannot have waited for the work.
    release = web.hold("response_url")
    response = server.post(
        slash_command(
            "add renew TLS cert for <@U0BOB|bob> tomorrow", response_url=web.response_url()
        )
    )
    assert response.status_code == 200
    release.set()
    [reply] = web.wait_for("response_url")
    assert reply.args["response_type"] == "in_channel"
    [task] = server.tasks()
    assert task.title.lower().startswith("renew tls cert")
    assert task.assignee_id == "U0BOB"
    assert task.due_at is not None
    assert f"#{task.number}" in json.dumps(reply.args["blocks"])


def test_one_mention_delivered_four_times_yields_one_task_and_one_reply(
    server: Server, web: LocalSlackWebAPI
) -> None:
    body = event_callback(app_mention("<@U0BOT> add a task to archive the old wiki"))
    statuses: list[int] = []

    def deliver(retry: int) -> None:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        statuses.append(server.post(body, headers=headers if retry else None).status_code)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    web.wait_for("chat.postMessage")
    deliver(3)
    assert statuses == [200, 200, 200, 200]
    # The last retry arrived after the reply: give it the same chance to (wrongly) answer.
    time.sleep(0.5)
    assert len(server.tasks()) == 1
    assert len(web.calls_to("chat.postMessage")) == 1


def test_a_forged_request_gets_401_and_no_work(server: Server, web: LocalSlackWebAPI) -> None:
    before = len(web.calls)
    body = slash_command("add steal the secrets", response_url=web.response_url())
    assert server.post(body, secret="guessed-secret").status_code == 401
    assert server.post(body, signed=False).status_code == 401
    assert server.tasks() == []
    assert len(web.calls) == before
