"""`taskpilot serve` on SIGTERM: it stops taking requests but finishes the agent turn Slack was
already told is accepted (the task is written, the reply posted) before it exits."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from core.db import make_engine, make_session_factory
from devtools.local_web_api import LocalSlackWebAPI, slack_user
from tasks.models import Task
from tests.serve_process import free_port, running_serve, serve_env
from tests.slack_app.support import TEAM, sign, slash_command

pytestmark = pytest.mark.slow


def _tasks(database_url: str) -> list[Task]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.exec(select(Task)).all())
    finally:
        engine.dispose()


def _wait(condition: object, what: str, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not callable(condition) or not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)


def _refuses_connections(url: str) -> bool:
    try:
        httpx.get(f"{url}/healthz", timeout=1)
    except httpx.TransportError:
        return True
    return False


def _send_a_held_command(web: LocalSlackWebAPI, url: str) -> threading.Event:
    """`/task add ...` from a person the directory has not seen: the turn first looks them up,
    and that call is held, so the turn is in flight (acknowledged, nothing written) until the
    returned event is set."""
    web.users.append(slack_user("U0DANA", "dana", "Dana Scully", team_id=TEAM))
    release = web.hold("users.info")
    body = slash_command(
        "add renew the TLS cert tomorrow",
        user_id="U0DANA",
        user_name="dana",
        response_url=web.response_url(),
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    ack = httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)
    assert ack.status_code == 200
    web.wait_for("users.info")
    return release


def test_sigterm_lets_an_acknowledged_turn_finish_before_the_process_exits(
    tmp_path: Path, web: LocalSlackWebAPI
) -> None:
    database_url = f"sqlite:///{tmp_path / 'taskpilot.db'}"
    env = serve_env(
        database_url=database_url,
        port=free_port(),
        web_api=web.base_url,
        TASKPILOT_SHUTDOWN_GRACE_SECONDS="30",
    )
    release: threading.Event | None = None
    with running_serve(env, cwd=tmp_path) as served:
        url, process = served.url, served.process
        try:
            web.wait_for("users.list")
            release = _send_a_held_command(web, url)
            assert _tasks(database_url) == []

            process.send_signal(signal.SIGTERM)
            # The server has stopped listening: shutdown has begun with the turn still held.
            _wait(lambda: _refuses_connections(url), "it stops taking requests")
            assert process.poll() is None, served.log
            assert _tasks(database_url) == []
            release.set()

            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=60) in (0, -signal.SIGTERM), served.log
        finally:
            if release is not None:
                release.set()
    log = served.log
    [task] = _tasks(database_url)
    assert task.title.lower().startswith("renew the tls cert")
    assert task.creator_id == "U0DANA"
    [reply] = web.calls_to("response_url")
    assert f"#{task.number}" in str(reply.args)
    assert "Application shutdown complete" in log, log
    assert "still in flight" not in log, log
    assert "Traceback" not in log, log


def test_a_turn_worker_finishes_its_job_on_sigterm_and_the_queue_is_empty_after(
    tmp_path: Path, web: LocalSlackWebAPI, redis_url: str
) -> None:
    """`taskpilot serve` queues the command, `taskpilot slack worker` (both subprocesses, as
    deployed) runs it; SIGTERM with the turn held: the worker finishes it, then exits."""
    import redis

    from slack_app.delivery.turn_queue import STREAM

    database_url = f"sqlite:///{tmp_path / 'taskpilot.db'}"
    common = {
        "REDIS_URL": redis_url,
        "TASKPILOT_TURN_QUEUE": "redis",
        "TASKPILOT_SHUTDOWN_GRACE_SECONDS": "30",
    }
    server_env = serve_env(
        database_url=database_url, port=free_port(), web_api=web.base_url, **common
    )
    worker_env = serve_env(
        database_url=database_url, port=free_port(), web_api=web.base_url, **common
    )
    release: threading.Event | None = None
    with (
        running_serve(server_env, cwd=tmp_path) as served,
        running_serve(
            worker_env, cwd=tmp_path, command=("slack", "worker"), migrate=False
        ) as worker,
    ):
        try:
            # The worker took the job: its turn now waits on the held lookup.
            release = _send_a_held_command(web, served.url)
            assert _tasks(database_url) == []
            assert httpx.get(f"{worker.url}/readyz", timeout=5).status_code == 200
            worker.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert worker.process.poll() is None, worker.log
            release.set()
            assert worker.process.wait(timeout=60) == 0, worker.log
        finally:
            if release is not None:
                release.set()
    [task] = _tasks(database_url)
    assert task.title.lower().startswith("renew the tls cert")
    [reply] = web.calls_to("response_url")
    assert f"#{task.number}" in str(reply.args)
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.xlen(STREAM) == 0  # pyright: ignore[reportUnknownMemberType]
    finally:
        client.close()
    assert "Traceback" not in worker.log, worker.log
    assert "unfinished" not in worker.log, worker.log
