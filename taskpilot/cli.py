"""The `taskpilot` command: every package's commands under one root.

The command modules keep their heavy imports (the agent, pydantic-ai, SQLAlchemy, Alembic)
inside the command that needs them, so `taskpilot --help` stays quick (`make bench-cli`).
"""

from __future__ import annotations

import os

import typer

from agent.cli import chat
from core.db_cli import db_app
from core.observability import configure_observability
from core.settings import load_settings
from evals.cli import app as eval_app
from slack_app.cli import app as slack_cli
from taskpilot.serve import serve
from tasks.cli import app as tasks_app
from tasks.cli import users_app
from tasks.keys_cli import apikey_app, audit_app


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
    app.add_typer(tasks_app, name="tasks")
    app.add_typer(users_app, name="users")
    app.add_typer(apikey_app, name="apikey")
    app.add_typer(audit_app, name="audit")
    app.add_typer(eval_app, name="eval")
    app.add_typer(slack_cli, name="slack")
    app.command("chat")(chat)
    app.command("serve")(serve)
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
