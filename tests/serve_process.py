"""`taskpilot serve` as a subprocess, for tests that run the server the way a person does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.slack_app.support import BOT_TOKEN, SIGNING_SECRET

# Settings of the developer's environment that must not leak into a test server.
_OWN_PREFIXES = (
    "SLACK_",
    "TASKPILOT_",
    "DATABASE_URL",
    "REDIS_URL",
    "LOG_",
    "OTEL_",
    "SENTRY_",
    "LOGFIRE_",
    "PROMETHEUS_MULTIPROC_DIR",
)


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def taskpilot(*args: str) -> list[str]:
    """The `taskpilot` command line, run by this interpreter."""
    return [sys.executable, "-c", "from taskpilot.cli import main; main()", *args]


def serve_env(*, database_url: str, port: int, web_api: str, **settings: str) -> dict[str, str]:
    """The environment of a test server: this one without TaskPilot's own settings, plus
    Slack credentials the tests sign with, the local Web API, the offline model, UTC and no
    reminders; `settings` add or replace."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_PREFIXES)}
    env.update(
        {
            "DATABASE_URL": database_url,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_BASE_URL": web_api,
            "TASKPILOT_MODELS": "offline",
            "TASKPILOT_TIMEZONE": "UTC",
            "TASKPILOT_PORT": str(port),
            "TASKPILOT_REMINDERS": "false",
            **settings,
        }
    )
    return env


@dataclass
class ServeProcess:
    """A running `taskpilot serve` and what it has printed so far."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list[str])

    @property
    def log(self) -> str:
        return "".join(self.output)


@contextmanager
def running_serve(
    env: dict[str, str],
    *,
    cwd: Path,
    timeout: float = 60,
    command: Sequence[str] = ("serve",),
    migrate: bool = True,
) -> Iterator[ServeProcess]:
    """Migrate the database, start `taskpilot serve` (or `taskpilot <command>`, such as a
    turn worker, which answers `/healthz` on `TASKPILOT_PORT` too) and wait until `/healthz`
    answers; on leaving, SIGTERM it (unless the test already stopped it) and wait for it to
    exit."""
    if migrate:
        subprocess.run(
            taskpilot("db", "upgrade"), env=env, check=True, capture_output=True, cwd=cwd
        )
    process = subprocess.Popen(
        taskpilot(*command),
        env=env,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served = ServeProcess(process=process, url=f"http://127.0.0.1:{env['TASKPILOT_PORT']}")
    reader = threading.Thread(
        target=lambda: served.output.extend(process.stdout or []), daemon=True
    )
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{served.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                started = " ".join(command)
                raise AssertionError(f"taskpilot {started} did not start:\n" + served.log)
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
