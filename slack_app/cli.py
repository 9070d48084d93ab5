"""`taskpilot slack ...`: Socket Mode, the workspaces that installed the app, token keys."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.cli_support import fail
from core.secrets import SecretsError, settings_with_secrets
from core.settings import load_settings

if TYPE_CHECKING:
    from slack_app.install.installation_store import DatabaseInstallationStore

# Bolt, the agent and the database load when a command runs, so that `taskpilot --help`
# stays quick.

app = typer.Typer(
    help="The Slack app: Socket Mode, turn workers, installed workspaces, token encryption keys.",
    no_args_is_help=True,
)


@app.command("socket")
def socket_command() -> None:
    """Answer Slack over Socket Mode (no public URL needed) until SIGTERM or Ctrl-C."""
    from core.db import DatabaseNotMigrated
    from core.observability import configure_observability
    from slack_app.configuration import SlackNotConfigured
    from slack_app.delivery.socket_mode import SocketModeRefused, app_token, run_socket_mode
    from slack_app.install.crypto import TokenKeyError

    try:
        settings = settings_with_secrets(load_settings())
        # A long-running server: its log lines carry trace ids even when spans stay local.
        configure_observability(settings, tracing=True)
        app_token(settings)
        asyncio.run(run_socket_mode(settings))
    except (
        SlackNotConfigured,
        SocketModeRefused,
        DatabaseNotMigrated,
        TokenKeyError,
        SecretsError,
    ) as error:
        raise fail(str(error)) from None


@app.command("worker")
def worker_command() -> None:
    """Run the agent turns `taskpilot serve` queued with TASKPILOT_TURN_QUEUE=redis, until
    SIGTERM or Ctrl-C; several workers share the queue."""
    from core.db import DatabaseNotMigrated
    from core.observability import configure_observability
    from slack_app.configuration import SlackNotConfigured
    from slack_app.delivery.worker import WorkerCannotStart, run_worker
    from slack_app.install.crypto import TokenKeyError

    try:
        settings = settings_with_secrets(load_settings())
        configure_observability(settings, tracing=True)
        asyncio.run(run_worker(settings))
    except (
        SlackNotConfigured,
        DatabaseNotMigrated,
        TokenKeyError,
        SecretsError,
        WorkerCannotStart,
    ) as error:
        raise fail(str(error)) from None


@app.command("keygen")
def keygen_command() -> None:
    """Print a new key for SLACK_TOKEN_ENCRYPTION_KEY (installations' tokens are encrypted)."""
    from slack_app.install.crypto import generate_key

    typer.echo(generate_key())
    Console(stderr=True).print(
        "Put it first in SLACK_TOKEN_ENCRYPTION_KEY; keep older keys after it (comma-separated) "
        "until `taskpilot slack reencrypt` has run.",
        highlight=False,
    )


def _store(*, need_app: bool) -> DatabaseInstallationStore:
    from core.cli_support import open_database
    from slack_app.install.crypto import TokenKeyError
    from slack_app.install.installation_store import DatabaseInstallationStore

    try:
        settings = settings_with_secrets(load_settings())
    except SecretsError as error:
        raise fail(str(error)) from None
    if need_app and not settings.slack_oauth_enabled:
        raise fail(
            "Installs through OAuth are not set up: set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET "
            "and SLACK_TOKEN_ENCRYPTION_KEY."
        )
    try:
        return DatabaseInstallationStore.from_settings(
            settings, session_factory=open_database(settings)
        )
    except TokenKeyError as error:
        raise fail(str(error)) from None


@app.command("installations")
def installations_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """The workspaces that installed the app through OAuth (tokens are never shown)."""
    from slack_app.install.crypto import TokenDecryptError

    store = _store(need_app=True)
    try:
        teams = store.installed_teams()
    except TokenDecryptError as error:
        raise fail(str(error)) from None
    rows = [
        {
            "team_id": team.team_id,
            "team_name": team.team_name,
            "enterprise_id": team.enterprise_id,
            "org_wide": team.is_enterprise_install,
            "bot_user_id": team.bot_user_id,
            "installed_by": team.installer_id,
            "scopes": team.scopes,
            "installed_at": team.installed_at.isoformat(),
        }
        for team in teams
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("No workspace has installed the app yet (open /slack/install to add one).")
        return
    table = Table(title="Installed workspaces", header_style="bold")
    for column in ("Team", "Name", "Enterprise", "Bot user", "Installed by", "Installed at"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["team_id"] or "(whole org)"),
            str(row["team_name"] or "–"),
            str(row["enterprise_id"] or "–"),
            str(row["bot_user_id"] or "–"),
            str(row["installed_by"] or "–"),
            str(row["installed_at"]),
        )
    Console().print(table)


@app.command("reencrypt")
def reencrypt_command() -> None:
    """Re-encrypt every stored installation with the first key of SLACK_TOKEN_ENCRYPTION_KEY."""
    from slack_app.install.crypto import TokenDecryptError

    store = _store(need_app=False)
    try:
        changed = store.reencrypt()
    except TokenDecryptError as error:
        raise fail(str(error)) from None
    typer.echo(
        f"Re-encrypted {changed} installation{'s' if changed != 1 else ''} with the newest key; "
        "older keys can now be removed from SLACK_TOKEN_ENCRYPTION_KEY."
    )


@app.command("manifest")
def manifest_command(
    host: Annotated[
        str | None,
        typer.Option(help="Public host name of `taskpilot serve`, for YOUR-HOST in the URLs."),
    ] = None,
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="Switch Socket Mode on; no request URLs.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Print the Slack app manifest, ready to paste into api.slack.com/apps."""
    from slack_app.install.manifest import manifest_text

    try:
        text = manifest_text(host=host, socket_mode=socket_mode, as_json=as_json)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(text, nl=False)
