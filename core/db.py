"""Database engines, sessions and migrations (SQLite on a laptop, PostgreSQL in production)."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlmodel import Session, SQLModel

from core.secrets import secrets_from_settings
from core.settings import Settings

# The secret that, when set, overrides the password in `DATABASE_URL`.
PASSWORD_SECRET = "DATABASE_PASSWORD"  # noqa: S105 (a name, not a password)

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "taskpilot db upgrade"

# Connections a PostgreSQL pool keeps open once it has needed them. Connections past the pool
# (up to `POOL_OVERFLOW` more) are closed when they are given back, so a pool smaller than the
# requests a worker serves at once opens a new backend for a good share of them (SQLAlchemy's
# default of 5 opened one for every fifth REST request at 16 concurrent clients); 20 covers the
# concurrency a worker sustains. Pre-ping stays: after a database restart or a terminated
# backend it replaces a dead pooled connection before a request uses it, which is what lets the
# server recover by itself (tests/api, bench/drills/database_outage.py); it costs one short
# round trip per checkout, too little to tell apart in the REST benchmark.
POOL_SIZE = 20
POOL_OVERFLOW = 10


class DatabaseNotMigrated(Exception):
    """The database schema is missing or older than this code; the message says what to run."""


def normalize_url(url: str) -> URL:
    """Parse a database URL; PostgreSQL URLs are pointed at the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


def make_engine(
    url: str, *, echo: bool = False, password: Callable[[], str | None] | None = None
) -> Engine:
    """An engine for `url`.

    SQLite: WAL journal, foreign keys on, usable from several threads, one shared connection
    for an in-memory database, and the parent folder of a database file created. PostgreSQL
    (`postgresql://`, `postgres://` or `postgresql+psycopg://`): psycopg 3, pooled (see
    `POOL_SIZE`), with pre-ping; `password`, when given, is asked before every new connection
    and, when it answers, replaces the URL's password (so a rotated password is used without a
    restart).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(
            parsed,
            echo=echo,
            # Statement parameters are people's task text: errors and logs never show them.
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        if password is not None:
            _ask_password_on_connect(engine, password)
        return engine

    memory = _is_sqlite_memory(parsed)
    if not memory and parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        echo=echo,
        hide_parameters=True,
        connect_args={"check_same_thread": False},
        # One connection for the whole process, or each connection would see its own,
        # empty, in-memory database.
        poolclass=StaticPool if memory else None,
    )
    _configure_sqlite(engine, memory=memory)
    return engine


def _ask_password_on_connect(engine: Engine, password: Callable[[], str | None]) -> None:
    @event.listens_for(engine, "do_connect")
    def _on_connect(  # pyright: ignore[reportUnusedFunction]
        _dialect: object,
        _record: ConnectionPoolEntry,
        _args: list[object],
        params: dict[str, object],
    ) -> None:
        # Connections already in the pool keep the password they were opened with; servers
        # do not end sessions when a password changes, so only new connections need it.
        value = password()
        if value:
            params["password"] = value


def database_engine(settings: Settings) -> Engine:
    """The engine for `DATABASE_URL`, with the password read from the secrets provider the
    settings name (`DATABASE_PASSWORD`, cached for `TASKPILOT_SECRETS_TTL_SECONDS`) when it
    holds one; otherwise the URL's own password is used."""
    secrets = secrets_from_settings(settings)

    def password() -> str | None:
        value = secrets.get(PASSWORD_SECRET)
        return value.get_secret_value() if value is not None else None

    return make_engine(settings.database_url, password=password)


def _sqlite_lower(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    # SQLite's own lower() only folds ASCII; PostgreSQL's folds every letter.
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine, *, memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(  # pyright: ignore[reportUnusedFunction]
        dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry
    ) -> None:
        # The sqlite3 module's own transaction handling neither begins a transaction before a
        # SAVEPOINT nor before DDL; SQLAlchemy emits BEGIN itself instead (see `_on_begin`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()
        dbapi_connection.create_function("lower", 1, _sqlite_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:  # pyright: ignore[reportUnusedFunction]
        # IMMEDIATE takes the write lock up front, so two transactions that read and then
        # write (such as allocating the next task number) wait for each other instead of
        # failing with "database is locked" when the second one tries to write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def read_without_transaction(session: Session) -> None:
    """On PostgreSQL, run `session`'s statements without a transaction of its own (autocommit).

    For work that is one read (a page of a list), the statement sees the same committed data
    either way, and the BEGIN and ROLLBACK round trips around it are saved. Call it before the
    session's first statement, and only for work that writes nothing and reads once. Other
    databases keep their transaction (SQLite's is local and costs no round trip).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def make_session_factory(engine: Engine) -> Callable[[], Session]:
    """A factory of sessions on `engine` whose objects stay readable after commit."""

    def factory() -> Session:
        return Session(engine, expire_on_commit=False)

    return factory


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration, built in code (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest migration this code knows."""
    head = _script_directory().get_current_head()
    if head is None:
        raise RuntimeError(f"No migrations found under {MIGRATIONS_DIR}.")
    return head


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (all of them by default), in one transaction."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def is_newer_schema(revision: str | None) -> bool:
    """True when `revision` is a migration this code does not know: a newer version of
    TaskPilot has migrated the database (during a rolling deployment, for instance)."""
    if revision is None:
        return False
    return revision not in {script.revision for script in _script_directory().walk_revisions()}


def ensure_migrated(engine: Engine, *, allow_newer: bool = False) -> None:
    """Raise `DatabaseNotMigrated` unless the database is at the newest migration.

    With `allow_newer`, a database a newer version has migrated is accepted (with a warning):
    during a rolling deployment the old replicas keep serving after the new version's
    migration ran, which is safe when migrations only add (expand first, contract in a later
    release).
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = _describe(engine)
    if current is None:
        raise DatabaseNotMigrated(
            f"The database {where} has no TaskPilot tables yet. "
            f"Run `{UPGRADE_COMMAND}` to create them."
        )
    if is_newer_schema(current):
        if allow_newer:
            logger.warning(
                "the database is at migration %s, newer than this version's %s; serving "
                "anyway (TASKPILOT_ALLOW_NEWER_SCHEMA)",
                current,
                head,
            )
            return
        raise DatabaseNotMigrated(
            f"The database {where} is at migration {current}, which this version of TaskPilot "
            "does not know; it was probably migrated by a newer version. Upgrade TaskPilot."
        )
    raise DatabaseNotMigrated(
        f"The database {where} is at migration {current}, but this version of TaskPilot needs "
        f"{head}. Run `{UPGRADE_COMMAND}` to bring it up to date."
    )


def module_tables(modules: Sequence[ModuleType]) -> list[Table]:
    """The tables of the SQLModel classes the modules define."""
    tables: list[Table] = []
    for module in modules:
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, SQLModel)):
                continue
            table: object = getattr(value, "__table__", None)
            if value.__module__ == module.__name__ and isinstance(table, Table):
                tables.append(cast("Table", table))
    return tables


def create_all(engine: Engine, *, modules: Sequence[ModuleType]) -> None:
    """Create the tables of the given model modules straight from their metadata and mark the
    database as migrated.

    Only for throwaway databases, such as the in-memory one each evaluation case gets: it is
    faster than running the migrations, but a real database must use `upgrade` so that later
    migrations apply to it.
    """
    with engine.begin() as connection:
        SQLModel.metadata.create_all(connection, tables=module_tables(modules))
        MigrationContext.configure(connection).stamp(_script_directory(), "head")
