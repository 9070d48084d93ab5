"""Small pieces every CLI command shares: clear errors and opening the database."""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console
from sqlmodel import Session

from core.db import DatabaseNotMigrated, ensure_migrated, make_engine, make_session_factory
from core.settings import Settings


def fail(message: str, *, code: int = 2) -> typer.Exit:
    """Print a one-line error for a person and return the exit to raise."""
    Console(stderr=True).print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(code)


def open_database(settings: Settings) -> Callable[[], Session]:
    """Sessions on the configured database, refusing one that has not been migrated."""
    engine = make_engine(settings.database_url)
    try:
        ensure_migrated(engine)
    except DatabaseNotMigrated as error:
        raise fail(str(error)) from error
    return make_session_factory(engine)
