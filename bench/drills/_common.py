"""Shared pieces of the reliability drills: scratch PostgreSQL databases and Redis, servers
started as `taskpilot serve` subprocesses, signed Slack deliveries and the PASS/FAIL table.

Everything listens on loopback. Each drill creates a fresh PostgreSQL database (dropped at the
end) and uses Redis database 13 (flushed before and after).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import httpx  # noqa: E402
from common import flushed_redis, fresh_postgres  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import URL, make_url  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from tests.slack_app.support import SIGNING_SECRET, sign  # noqa: E402

POSTGRES_ADMIN = os.environ.get(
    "TASKPILOT_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TASKPILOT_DRILL_REDIS_URL", "redis://127.0.0.1:6379/13")
TEAM = "T0TEST"

# Limits that would turn a drill's load into "slow down" replies instead of turns.
UNLIMITED = {
    "TASKPILOT_RATE_LIMIT_AGENT_USER": "1000000/minute",
    "TASKPILOT_RATE_LIMIT_AGENT_TEAM": "1000000/minute",
    "TASKPILOT_RATE_LIMIT_KEY": "1000000/minute",
    "TASKPILOT_SEED_DEMO": "false",
}


def admin_url() -> URL:
    return make_url(POSTGRES_ADMIN).update_query_dict({"connect_timeout": "3"})


def admin_engine() -> Engine:
    return create_engine(admin_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def scratch_database(prefix: str) -> AbstractContextManager[str]:
    """A fresh PostgreSQL database for one drill; its URL. Dropped (FORCE) on leaving."""
    return fresh_postgres(prefix, server_url=POSTGRES_ADMIN)


def scratch_redis() -> AbstractContextManager[str]:
    """Redis database 13, flushed before and after."""
    return flushed_redis(REDIS_URL)


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of one read-only statement, on a short-lived connection."""
    engine = create_engine(make_url(database_url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params).all()]
    finally:
        engine.dispose()


def database_name(database_url: str) -> str:
    return str(make_url(database_url).database)


def terminate_backends(database_url: str) -> int:
    """`pg_terminate_backend` every connection to the drill's database; how many."""
    admin = admin_engine()
    try:
        with admin.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database_name(database_url)},
            ).all()
            return len(rows)
    finally:
        admin.dispose()


def allow_connections(database_url: str, allowed: bool) -> None:
    admin = admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{database_name(database_url)}" ALLOW_CONNECTIONS '
                + ("true" if allowed else "false")
            )
    finally:
        admin.dispose()


def backend_count(database_url: str) -> int:
    admin = admin_engine()
    try:
        with admin.connect() as connection:
            value = connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                {"name": database_name(database_url)},
            ).scalar_one()
            return int(value)
    finally:
        admin.dispose()


def post_slack(
    client: httpx.Client,
    url: str,
    body: bytes,
    *,
    retry: int = 0,
    reason: str = "http_timeout",
    timeout: float = 10,
) -> int:
    """Deliver `body` to `url`/slack/events as Slack does (signed, retry headers on retries);
    the status, or 0 when the connection failed."""
    kind = "application/json" if body.startswith(b"{") else "application/x-www-form-urlencoded"
    headers: dict[str, str] = {"Content-Type": kind, **sign(body, secret=SIGNING_SECRET)}
    if retry:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = reason
    try:
        return client.post(
            f"{url}/slack/events", content=body, headers=headers, timeout=timeout
        ).status_code
    except httpx.TransportError:
        return 0


@dataclass
class Report:
    """The drill's table: one row per check, expected beside actual."""

    title: str
    rows: list[tuple[str, str, str, bool]] = field(default_factory=list[tuple[str, str, str, bool]])
    notes: list[str] = field(default_factory=list[str])
    started: float = field(default_factory=time.monotonic)

    def check(self, name: str, expected: object, actual: object, ok: bool | None = None) -> bool:
        passed = (expected == actual) if ok is None else ok
        self.rows.append((name, str(expected), str(actual), passed))
        return passed

    def info(self, name: str, value: object) -> None:
        self.rows.append((name, "-", str(value), True))

    def note(self, text_: str) -> None:
        self.notes.append(text_)

    @property
    def passed(self) -> bool:
        return all(row[3] for row in self.rows)

    def print(self) -> int:
        """Print the table; the exit code (0 when every check passed)."""
        columns: list[list[str]] = [
            ["check", *(row[0] for row in self.rows)],
            ["expected", *(row[1] for row in self.rows)],
            ["actual", *(row[2] for row in self.rows)],
        ]
        widths = [max(len(cell) for cell in column) for column in columns]
        line = f"{'check':<{widths[0]}}  {'expected':>{widths[1]}}  {'actual':>{widths[2]}}  result"
        print(f"\n== {self.title} ({time.monotonic() - self.started:.1f} s) ==")
        print(line)
        print("-" * len(line))
        for name, expected, actual, ok in self.rows:
            verdict = "PASS" if ok else "FAIL"
            if expected == "-":
                verdict = "info"
            print(f"{name:<{widths[0]}}  {expected:>{widths[1]}}  {actual:>{widths[2]}}  {verdict}")
        for text_ in self.notes:
            print(f"note: {text_}")
        print(f"\n{self.title}: {'PASS' if self.passed else 'FAIL'}")
        return 0 if self.passed else 1


def rss_kib(pid: int) -> int:
    """Resident set size of `pid` in KiB (psutil when installed, else /proc)."""
    try:
        import psutil  # pyright: ignore[reportMissingModuleSource]

        return int(psutil.Process(pid).memory_info().rss // 1024)
    except ImportError:
        pass
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_until(predicate: Any, *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def make_api_key(database_url: str, *, name: str, scopes: str) -> str:
    """A new API key of the drill's team, made as `taskpilot apikey create` makes one."""
    from core.db import make_engine, make_session_factory
    from tasks.api_keys import ApiKeyService

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session, session.begin():
            service = ApiKeyService(session, actor_id="cli:drill", source="cli")
            return service.create(team_id=TEAM, name=name, scopes=scopes, expires_in=None).key
    finally:
        engine.dispose()


@dataclass
class DrillServer:
    """One `taskpilot serve` (offline model) on scratch stores, and what drives it."""

    web: Any
    database_url: str
    # The running `taskpilot serve` (`tests.serve_process.ServeProcess`).
    serve: Any
    headers: dict[str, str]


@contextmanager
def drill_server(
    stack: ExitStack, *, database_prefix: str, key_name: str, scopes: str
) -> Iterator[DrillServer]:
    """Start the server on a fresh database and Redis (torn down with `stack`), wait until it
    has synced the directory, and make an API key with `scopes`."""
    from devtools.local_web_api import LocalSlackWebAPI
    from tests.serve_process import free_port, running_serve, serve_env

    web = stack.enter_context(LocalSlackWebAPI())
    database_url = stack.enter_context(scratch_database(database_prefix))
    redis_url = stack.enter_context(scratch_redis())
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drill-")))
    env = serve_env(
        database_url=database_url,
        port=free_port(),
        web_api=web.base_url,
        REDIS_URL=redis_url,
        LOG_LEVEL="WARNING",
        **UNLIMITED,
    )
    serve = stack.enter_context(running_serve(env, cwd=workdir))
    web.wait_for("users.list", timeout=30)
    key = make_api_key(database_url, name=key_name, scopes=scopes)
    yield DrillServer(
        web=web,
        database_url=database_url,
        serve=serve,
        headers={"Authorization": f"Bearer {key}"},
    )
