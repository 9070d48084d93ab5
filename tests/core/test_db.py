"""Engines, migrations and the check that refuses an unmigrated database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from core.db import (
    POOL_SIZE,
    UPGRADE_COMMAND,
    DatabaseNotMigrated,
    alembic_config,
    create_all,
    current_revision,
    ensure_migrated,
    head_revision,
    make_engine,
    make_session_factory,
    module_tables,
    read_without_transaction,
    upgrade,
)
from taskpilot.tables import TABLE_MODULES
from tasks.types import UTCDateTime
from tests.conftest import PostgresServer

APP_TABLES = {
    "tasks",
    "audit_events",
    "directory_users",
    "conversations",
    "agent_turns",
    "slack_installations",
    "slack_oauth_states",
    "slack_deliveries",
    "task_reminders",
    "api_keys",
    "idempotency_records",
}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _app_metadata() -> MetaData:
    # The composition root names every module that defines tables.
    metadata = MetaData()
    for table in module_tables(TABLE_MODULES):
        table.to_metadata(metadata)
    return metadata


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg"),
        ("postgresql://u:p@db.example:5432/app", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@db.example:5432/app", "postgresql+psycopg"),
    ],
)
def test_postgres_urls_use_psycopg_3(given: str, driver: str) -> None:
    engine = make_engine(given)
    try:
        assert engine.url.drivername == driver
        assert engine.url.host == "db.example"
    finally:
        engine.dispose()


def test_sqlite_file_gets_its_folder_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "taskpilot.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.exists()
    finally:
        engine.dispose()


def test_sqlite_connections_work_from_other_threads(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'threads.db'}")
    results: list[Any] = []
    try:
        with engine.connect() as connection:
            worker = threading.Thread(
                target=lambda: results.append(connection.execute(text("SELECT 41 + 1")).scalar())
            )
            worker.start()
            worker.join()
        assert results == [42]
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_one_database_for_every_connection(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
            connection.exec_driver_sql("INSERT INTO notes VALUES ('kept')")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT body FROM notes").scalar() == "kept"
    finally:
        engine.dispose()


def test_sqlite_savepoint_rolls_back_alone_and_belongs_to_the_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'savepoints.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE items (name TEXT)")
        with engine.connect() as connection:
            with connection.begin():
                connection.exec_driver_sql("INSERT INTO items VALUES ('outer')")
                savepoint = connection.begin_nested()
                connection.exec_driver_sql("INSERT INTO items VALUES ('undone')")
                savepoint.rollback()
            rows = connection.exec_driver_sql("SELECT name FROM items").scalars().all()
            assert rows == ["outer"]
            connection.rollback()
            # A released savepoint must still be undone by rolling back its transaction (the
            # sqlite3 module's own transaction handling would have committed it).
            transaction = connection.begin()
            with connection.begin_nested():
                connection.exec_driver_sql("INSERT INTO items VALUES ('released')")
            transaction.rollback()
            rows = connection.exec_driver_sql("SELECT name FROM items").scalars().all()
            assert rows == ["outer"]
    finally:
        engine.dispose()


def test_sqlite_lower_folds_every_letter_like_postgres() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT lower('ÉCOLE Ünïcode')")).scalar() == (
                "école ünïcode"
            )
    finally:
        engine.dispose()


def test_session_factory_keeps_objects_readable_after_commit(engine: Engine) -> None:
    from tasks.directory import UserDirectory

    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        user = UserDirectory(session, team_id="T1").upsert(user_id="U1", handle="ann")
    assert user.handle == "ann"


def test_upgrade_creates_every_table_and_is_repeatable(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert _tables(engine) == APP_TABLES
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        ensure_migrated(engine)
    finally:
        engine.dispose()


def test_ensure_migrated_names_the_command_on_an_empty_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        with pytest.raises(DatabaseNotMigrated) as raised:
            ensure_migrated(engine)
        assert f"Run `{UPGRADE_COMMAND}`" in str(raised.value)
        assert UPGRADE_COMMAND == "taskpilot db upgrade"
    finally:
        engine.dispose()


def test_ensure_migrated_names_the_command_on_an_old_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, revision="0001")
        with pytest.raises(DatabaseNotMigrated, match="taskpilot db upgrade"):
            ensure_migrated(engine)
        upgrade(engine)
        ensure_migrated(engine)
    finally:
        engine.dispose()


def test_ensure_migrated_tells_about_a_newer_database(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
        with pytest.raises(DatabaseNotMigrated, match="newer version"):
            ensure_migrated(engine)
    finally:
        engine.dispose()


def test_migrations_match_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, _app_metadata()) == []
            # The comparison does see differences: an empty metadata lacks every table.
            removed = compare_metadata(context, MetaData())
            assert {diff[1].name for diff in removed if diff[0] == "remove_table"} == APP_TABLES
    finally:
        engine.dispose()


def test_migrations_go_down_and_up_again(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert _tables(engine) == set()
        upgrade(engine)
        assert _tables(engine) == APP_TABLES
    finally:
        engine.dispose()


def test_create_all_makes_a_throwaway_database_that_counts_as_migrated() -> None:
    engine = make_engine("sqlite://")
    try:
        create_all(engine, modules=TABLE_MODULES)
        assert _tables(engine) >= APP_TABLES
        ensure_migrated(engine)
    finally:
        engine.dispose()


def test_utc_datetimes_come_back_aware_in_utc(engine: Engine) -> None:
    metadata = MetaData()
    table = Table(
        "moments",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(20)),
        Column("at", UTCDateTime()),
    )
    metadata.create_all(engine)
    try:
        said = datetime(2026, 3, 8, 3, 30, tzinfo=timezone(timedelta(hours=-4)))
        with engine.begin() as connection:
            connection.execute(table.insert().values(label="dst", at=said))
            stored = connection.execute(select(table.c.at)).scalar_one()
            assert stored == said
            assert stored.tzinfo == UTC
            assert stored.hour == 7
            with pytest.raises(StatementError, match="naive"):
                connection.execute(table.insert().values(label="naive", at=datetime(2026, 1, 1)))
    finally:
        metadata.drop_all(engine)


@pytest.fixture
def postgres_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    """An engine made by `make_engine` on a new, empty PostgreSQL database."""
    url = postgres_server.create_database()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        postgres_server.drop_database(url)


def _backend_pid(session: Session) -> int:
    return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_a_pooled_connection_whose_backend_was_killed_is_replaced_before_use(
    postgres_engine: Engine,
) -> None:
    sessions = make_session_factory(postgres_engine)
    with sessions() as session:
        killed = _backend_pid(session)
    # Another engine, so that the connection to kill stays in the pool.
    admin = create_engine(postgres_engine.url, poolclass=NullPool)
    try:
        with admin.connect() as other:
            terminate = text("SELECT pg_terminate_backend(:pid)")
            assert other.execute(terminate, {"pid": killed}).scalar()
    finally:
        admin.dispose()
    # The dead connection went back to the pool; the next session must not see it fail.
    with sessions() as session:
        assert _backend_pid(session) != killed


@pytest.mark.postgres
def test_the_pool_keeps_as_many_connections_as_a_worker_uses_at_once(
    postgres_engine: Engine,
) -> None:
    # With SQLAlchemy's default pool of 5, connections past the fifth were closed when given
    # back and opened again for the next request.
    connections = [postgres_engine.connect() for _ in range(16)]
    for connection in connections:
        connection.exec_driver_sql("SELECT 1")
    for connection in connections:
        connection.close()
    assert POOL_SIZE >= 16
    assert postgres_engine.pool.checkedin() == 16  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


def _in_transaction(session: Session) -> bool:
    raw = session.connection().connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    return raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


@pytest.mark.postgres
def test_a_read_without_transaction_opens_none_and_leaves_the_pool_transactional(
    postgres_engine: Engine,
) -> None:
    sessions = make_session_factory(postgres_engine)
    with sessions() as session:
        read_without_transaction(session)
        _backend_pid(session)
        assert not _in_transaction(session)
    # The same pooled connection serves the next session with a transaction again.
    with sessions() as session:
        _backend_pid(session)
        assert _in_transaction(session)


def test_a_read_without_transaction_on_sqlite_keeps_its_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with make_session_factory(engine)() as session:
            read_without_transaction(session)
            session.execute(text("SELECT 1"))
            assert session.connection().get_isolation_level() != "AUTOCOMMIT"
    finally:
        engine.dispose()


def test_a_database_error_never_shows_the_statements_parameters(engine: Engine) -> None:
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(
            text("SELECT * FROM no_such_table WHERE title = :title"),
            {"title": "private words of a task"},
        )
    assert "private words" not in str(raised.value)
