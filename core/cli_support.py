"""Small pieces every CLI command shares: clear errors and opening the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from core.settings import Settings

if TYPE_CHECKING:
    from sqlmodel import Session


def fail(message: str, *, code: int = 2) -> typer.Exit:
    """Print a one-line error for a person and return the exit to raise."""
    Console(stderr=True).print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code)


def open_database(settings: Settings) -> Callable[[], Session]:
    """Sessions on the configured database, refusing one that has not been migrated."""
    # Imported here so that `taskpilot --help` does not load SQLAlchemy and Alembic.
    from core.db import DatabaseNotMigrated, database_engine, ensure_migrated, make_session_factory

    engine = database_engine(settings)
    try:
        ensure_migrated(engine)
    except DatabaseNotMigrated as error:
        raise fail(str(error)) from error
    return make_session_factory(engine)
