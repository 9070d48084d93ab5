"""The `taskpilot` command. Command groups are found by module name when the CLI starts."""

from __future__ import annotations

import importlib
import os

import typer

from core.observability import configure_observability
from core.settings import load_settings

db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)

# The packages above `core` contribute their commands; `core` names them without importing
# them at import time, so the dependency arrows keep pointing one way.
_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("tasks.cli", "app", "tasks"),
    ("tasks.cli", "users_app", "users"),
    ("tasks.keys_cli", "apikey_app", "apikey"),
    ("tasks.keys_cli", "audit_app", "audit"),
    ("evals.cli", "app", "eval"),
    ("slack_app.cli", "app", "slack"),
)
_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("agent.cli", "chat", "chat"),
    ("api.cli", "serve", "serve"),
)


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


def build_app() -> typer.Typer:
    """The whole command tree, built anew on each call."""
    app = typer.Typer(
        name="taskpilot",
        help="TaskPilot: conversational task management for Slack.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.add_typer(db_app, name="db")
    for module_name, attribute, name in _GROUPS:
        group = getattr(importlib.import_module(module_name), attribute)
        app.add_typer(group, name=name)
    for module_name, attribute, name in _COMMANDS:
        app.command(name)(getattr(importlib.import_module(module_name), attribute))
    return app


def export_dotenv(path: str = ".env") -> None:
    """Copy `.env` entries the environment lacks into it, so that provider keys in `.env`
    reach LiteLLM, which reads `OPENAI_API_KEY` and its kind from the environment only."""
    from dotenv import dotenv_values

    for key, value in dotenv_values(path).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value


def main() -> None:
    """Console-script entry point."""
    # LiteLLM would fetch its price map from the internet at import time without this.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    export_dotenv()
    configure_observability(load_settings())
    build_app()()
