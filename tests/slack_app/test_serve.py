"""`taskpilot serve` as a person runs it, against the local Web API server (not Slack)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from core.db import make_engine, make_session_factory
from slack_app.local_web_api import LocalSlackWebAPI
from tasks.models import Task
from tests.slack_app.support import (
    BOT_TOKEN,
    SIGNING_SECRET,
    app_mention,
    event_callback,
    sign,
    slash_command,
)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _taskpilot(*args: str) -> list[str]:
    return [sys.executable, "-c", "from core.cli import main; main()", *args]


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
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "TASKPILOT_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_BASE_URL": web.base_url,
            "TASKPILOT_MODELS": "offline",
            "TASKPILOT_TIMEZONE": "UTC",
            "TASKPILOT_PORT": str(port),
            "TASKPILOT_REMINDERS": "false",
        }
    )
    subprocess.run(
        _taskpilot("db", "upgrade"),
        env=env,
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    process = subprocess.Popen(
        _taskpilot("serve"),
        env=env,
        cwd=tmp_path,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(process.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            reader.join(timeout=5)
            if process.stdout is not None:
                process.stdout.close()
            raise AssertionError("taskpilot serve did not start:\n" + "".join(output))
        time.sleep(0.1)
    try:
        # The directory sync at start-up has fetched the workspace's people.
        web.wait_for("users.list")
        yield Server(process, url, database_url)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=30) in (0, -signal.SIGTERM), "".join(output)
        finally:
            if process.poll() is None:
                process.kill()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
        log = "".join(output)
        assert "Application shutdown complete" in log, log
        assert "Traceback" not in log, log


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
