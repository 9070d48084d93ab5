"""Small helpers the benchmarks share: percentiles, a throwaway PostgreSQL database, a flushed
Redis database, a free loopback port and the PASS/MISS line. Nothing here measures anything.
"""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POSTGRES_URL_ENV = "TASKPILOT_BENCH_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"
REDIS_URL_ENV = "TASKPILOT_BENCH_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by the nearest-rank method; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_url() -> str:
    return os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL


def redis_url() -> str:
    return os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL


@contextmanager
def fresh_postgres(
    prefix: str = "taskpilot_bench", *, server_url: str | None = None
) -> Iterator[str]:
    """An empty PostgreSQL database with a unique name (its URL) on `server_url` (by default
    the bench server), dropped on leaving even with connections left or refused."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from core.db import normalize_url

    server = normalize_url(server_url or postgres_url())
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # A drill may have refused connections to it; dropping needs them allowed.
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def flushed_redis(url: str | None = None) -> Iterator[str]:
    """A Redis database (the bench's, db 14, by default), flushed before and after."""
    import redis

    url = url or redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def emit_json(payload: dict[str, Any]) -> None:
    print(json.dumps(payload, indent=2, sort_keys=True))


def taskpilot(*args: str) -> list[str]:
    """The `taskpilot` command line, run by this interpreter."""
    return [sys.executable, "-c", "from taskpilot.cli import main; main()", *args]


def stop_gracefully(process: subprocess.Popen[bytes], *, grace: float = 40) -> None:
    """SIGTERM `process` unless it has exited, wait up to `grace` seconds, then SIGKILL it."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def running_process(
    command: list[str], env: dict[str, str], *, url: str, log: Path, ready: str = "/healthz"
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` (its output into `log`), wait until `url + ready` answers 200, and
    SIGTERM it on leaving; exits the benchmark with the log's tail if it never starts."""
    import httpx

    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}{ready}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"{command} did not start:\n" + log.read_text()[-4000:])
            time.sleep(0.2)
        yield process
    finally:
        stop_gracefully(process)
