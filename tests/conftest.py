"""Shared fixtures: migrated databases on SQLite and PostgreSQL, sessions and a seeded team.

`engine` runs each test that uses it twice: on a migrated SQLite file and on a migrated
PostgreSQL database (marked `postgres`). The PostgreSQL server is the one named by
`TASKPILOT_TEST_POSTGRES_URL` (default `postgresql+psycopg://root@127.0.0.1:5432/test`); a
database with a unique name is created on it for the test session and dropped at the end, and
the PostgreSQL runs are skipped, saying why, when the server cannot be reached.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from core.db import make_engine, make_session_factory, normalize_url, upgrade
from tasks.directory import UserDirectory

POSTGRES_URL_ENV = "TASKPILOT_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/test"

SessionFactory = Callable[[], Session]

BACKENDS = (
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
)


@dataclass(frozen=True)
class PostgresServer:
    """A reachable PostgreSQL server on which tests may create and drop databases."""

    url: URL

    def _admin(self) -> Engine:
        return create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def create_database(self, prefix: str = "taskpilot_test") -> str:
        """Create an empty database with a unique name; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        admin = self._admin()
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        finally:
            admin.dispose()
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database `create_database` made, even if connections are left."""
        name = normalize_url(url).database
        admin = self._admin()
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.dispose()


@contextmanager
def tasks_loaded() -> Iterator[list[int]]:
    """The numbers of the task rows the ORM loads inside the block (any thread)."""
    from sqlalchemy import event

    from tasks.models import Task

    loaded: list[int] = []

    def count_load(target: Task, context: object) -> None:
        del context
        loaded.append(target.number)

    event.listen(Task, "load", count_load)
    try:
        yield loaded
    finally:
        event.remove(Task, "load", count_load)


@pytest.fixture(autouse=True)
def _fresh_people_cache() -> None:
    """Each test starts with no team's people cached for prompts: PostgreSQL tests share one
    database whose tables are emptied in between, which the cache cannot see."""
    from agent.prompt_people import forget_people

    forget_people()


REDIS_URL_ENV = "TASKPILOT_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def worker_redis_url() -> str:
    """The Redis database this test process may flush: database 15 (or the one
    TASKPILOT_TEST_REDIS_URL names) for a plain run; under pytest-xdist each worker takes its own,
    counting down two at a time (15, 13, 11, ...) so that none shares the benchmarks' 14."""
    url = os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, database = url.rpartition("/")
    first = int(database) if database.isdigit() else 15
    return f"{base}/{first - 2 * int(worker[2:])}"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A reachable Redis (`worker_redis_url()`: this process's own database), flushed before and
    after; skips the test, saying why, when there is none."""
    import redis

    url = worker_redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {url} is not reachable ({error}); start it to run this test.")
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """The test PostgreSQL server; skips the test when it cannot be reached."""
    raw = os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL
    url = normalize_url(raw).update_query_dict({"connect_timeout": "3"})
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        pytest.skip(
            f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable "
            f"({reason}); start it or set {POSTGRES_URL_ENV}."
        )
    finally:
        probe.dispose()
    return PostgresServer(url)


@pytest.fixture(scope="session")
def _postgres_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    url = postgres_server.create_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "taskpilot.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return path


def _empty_postgres_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
        names = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        tables = ", ".join(f'"{name}"' for name in names)
        if tables:
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` or `postgres`: the database kind this run of the test uses."""
    return str(request.param)


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, or the session's PostgreSQL database."""
    if backend == "sqlite":
        path = tmp_path / "taskpilot.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("_postgres_engine")
    assert isinstance(engine, Engine)
    _empty_postgres_tables(engine)
    yield engine


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """The URL of a database with no tables at all (SQLite file or a new PostgreSQL database)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty' / 'taskpilot.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    assert isinstance(server, PostgresServer)
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[SessionFactory]:
    """Sessions on `engine`; any a test leaves open are closed afterwards."""
    factory = make_session_factory(engine)
    opened: list[Session] = []

    def open_session() -> Session:
        session = factory()
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()


@pytest.fixture
def session(session_factory: SessionFactory) -> Session:
    """One session on `engine` (closed after the test)."""
    return session_factory()


@dataclass(frozen=True)
class Person:
    """A directory entry for tests."""

    user_id: str
    handle: str
    real_name: str | None = None
    display_name: str | None = None
    tz: str | None = "America/New_York"
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class SeededTeam:
    """Two teams with people in their directories (see `PEOPLE` and `OTHER_PEOPLE`)."""

    team_id: str = "T0TEAM"
    other_team_id: str = "T0OTHER"
    alice: str = "U0ALICE"
    bob: str = "U0BOB"
    carol: str = "U0CAROL"
    dave: str = "U0DAVE"  # deactivated
    bot: str = "B0BOT"
    erin: str = "U0ERIN"  # only in the other team


PEOPLE: tuple[Person, ...] = (
    Person("U0ALICE", "alice", "Alice Chen", "Alice"),
    Person("U0BOB", "bob", "Bob Ortiz"),
    Person("U0CAROL", "carol.diaz", "Carol Díaz", "Carol"),
    Person("U0DAVE", "dave", "Dave Kim", deleted=True),
    Person("B0BOT", "deploybot", "Deploy Bot", is_bot=True),
)
OTHER_PEOPLE: tuple[Person, ...] = (
    Person("U0ERIN", "erin", "Erin Wu"),
    Person("U0ALICE", "alice", "Alice Chen"),
)


def add_people(session: Session, *, team_id: str, people: tuple[Person, ...]) -> None:
    """Put `people` into `team_id`'s directory (flushes; the caller commits)."""
    directory = UserDirectory(session, team_id=team_id)
    for person in people:
        directory.upsert(
            user_id=person.user_id,
            handle=person.handle,
            real_name=person.real_name,
            display_name=person.display_name,
            tz=person.tz,
            is_bot=person.is_bot,
            deleted=person.deleted,
        )


@pytest.fixture
def seeded_team(session_factory: SessionFactory) -> SeededTeam:
    """Alice, Bob, Carol, deactivated Dave and a bot in one team; Erin and Alice in another."""
    team = SeededTeam()
    with session_factory() as session, session.begin():
        add_people(session, team_id=team.team_id, people=PEOPLE)
        add_people(session, team_id=team.other_team_id, people=OTHER_PEOPLE)
    return team


class SecretsClock:
    """The secrets cache's clock (`core.secrets.monotonic`), moved by hand by the test; the
    server threads a test starts read it too."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def secrets_clock(monkeypatch: pytest.MonkeyPatch) -> SecretsClock:
    """Stands in for the clock of every secrets cache, so "after the TTL" needs no waiting."""
    import core.secrets

    fake = SecretsClock()
    monkeypatch.setattr(core.secrets, "monotonic", fake)
    return fake
