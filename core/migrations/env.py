"""Alembic environment: runs the migrations on the connection `core.db` hands over.

`core.db.upgrade(engine)` builds the configuration in code and puts an open connection into
`config.attributes["connection"]`. Run by hand (say `alembic -x url=... upgrade head` with a
configuration of your own), a `url` argument or `sqlalchemy.url` option names the database.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection


def _configure(connection: Connection) -> None:
    target_metadata: Any = context.config.attributes.get("target_metadata")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot alter most of a table in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run() -> None:
    config = context.config
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("No database given: use `taskpilot db upgrade`.")
    # Imported here so that loading this environment never builds an engine by itself.
    from core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _configure(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Offline (--sql) migrations are not supported; use `taskpilot db upgrade`.")
_run()
