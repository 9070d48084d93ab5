"""`taskpilot db ...`: the database's migrations."""

from __future__ import annotations

import typer

from core.settings import load_settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every database migration (safe to run again)."""
    from core.cli_support import fail
    from core.db import current_revision, database_engine, head_revision, is_newer_schema, upgrade

    settings = load_settings()
    engine = database_engine(settings)
    current = current_revision(engine)
    if is_newer_schema(current):
        # A newer release migrated this database; this is an older one (a rollback, or an old
        # replica's start during a rolling deployment). Migrations only add until a later
        # release contracts (docs/deployment.md), so this code runs on that schema as it is.
        if not settings.allow_newer_schema:
            raise fail(
                f"The database is at migration {current}, newer than this release's "
                f"{head_revision()}; a newer TaskPilot migrated it. Run that release, or set "
                "TASKPILOT_ALLOW_NEWER_SCHEMA=true to run this one on the newer schema."
            )
        typer.echo(
            f"Database is at revision {current}, newer than this release's {head_revision()}: "
            "nothing to do (TASKPILOT_ALLOW_NEWER_SCHEMA)."
        )
        return
    upgrade(engine)
    typer.echo(f"Database is at revision {current_revision(engine)}.")
