"""`taskpilot apikey ...` and `taskpilot audit ...`: API key management and the audit export."""

from __future__ import annotations

import csv
import getpass
import json
import sys
from collections.abc import Generator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.table import Table

from core.cli_support import fail, open_database
from core.settings import load_settings

if TYPE_CHECKING:
    from sqlmodel import Session

# The domain modules load SQLAlchemy; commands import them when they run, so that
# `taskpilot --help` stays quick.

apikey_app = typer.Typer(
    help="API keys for the REST API: create, list, rotate, revoke.", no_args_is_help=True
)
audit_app = typer.Typer(help="The audit log of every change.", no_args_is_help=True)

EXPORT_PAGE = 500
CSV_COLUMNS = (
    "id", "at", "team", "actor", "action", "task", "subject", "changes", "source", "request_id",
)  # fmt: skip
# Spreadsheets run cells that start with these as formulas, also after spaces and in their
# full-width forms; such cells get a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who is acting, for the audit log (default: cli:<OS user>)."),
]


class ExportFormat(StrEnum):
    """The file formats `audit export` writes."""

    jsonl = "jsonl"
    csv = "csv"


def _actor(actor: str | None) -> str:
    if actor and actor.strip():
        return actor.strip()[:64]
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # No login name in some containers.
        user = "unknown"
    return f"cli:{user}"[:64]


@contextmanager
def _writing() -> Generator[Session]:
    from tasks.errors import TaskError

    with open_database(load_settings())() as session:
        try:
            with session.begin():
                yield session
        except TaskError as error:
            raise fail(str(error)) from error


def _duration(text: str, *, option: str) -> timedelta:
    from tasks.api_keys import parse_duration
    from tasks.errors import InvalidTaskInput

    try:
        return parse_duration(text)
    except InvalidTaskInput as error:
        raise fail(f"{option}: {error}") from error


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@apikey_app.command("create")
def create_command(
    team: Annotated[str, typer.Option("--team", help="Slack team id the key acts for.")],
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help=("Comma-separated: tasks:read, tasks:write, agent:run, agent:act_as, audit:read."),
        ),
    ],
    member: Annotated[
        str | None,
        typer.Option(
            "--member",
            help=(
                "Slack user id of the one person an agent:run key speaks as in agent turns "
                "(without it, the key needs agent:act_as to speak as anyone)."
            ),
        ),
    ] = None,
    expires: Annotated[
        str, typer.Option("--expires", help="Lifetime such as 90d or 12h, or 'never'.")
    ] = "90d",
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "API key",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON object.")] = False,
    actor: ActorOption = None,
) -> None:
    """Create a key; the key is printed once and cannot be shown again."""
    from tasks.api_keys import ApiKeyService, clean_scopes
    from tasks.errors import InvalidTaskInput

    try:
        clean_scopes(scopes)
    except InvalidTaskInput as error:
        raise fail(str(error)) from error
    expires_in = (
        None if expires.strip().lower() == "never" else _duration(expires, option="--expires")
    )
    with _writing() as session:
        service = ApiKeyService(session, actor_id=_actor(actor), source="cli")
        new = service.create(
            team_id=team, name=name, scopes=scopes, expires_in=expires_in, member_id=member
        )
        api_key = new.api_key
        record: dict[str, Any] = {
            "key": new.key,
            "prefix": api_key.prefix,
            "team": api_key.team_id,
            "name": api_key.name,
            "scopes": list(api_key.scopes),
            "member": api_key.member_id,
            "expires_at": api_key.expires_at.isoformat() if api_key.expires_at else None,
        }
        expires_text = _when(api_key.expires_at)
    if as_json:
        typer.echo(json.dumps(record, indent=2))
    else:
        speaks = f", speaking as {member_text}" if (member_text := record["member"]) else ""
        typer.echo(
            f"Created API key {record['prefix']} for {record['team']} "
            f"({', '.join(record['scopes'])}{speaks}); it expires {expires_text}."
        )
        typer.echo(record["key"])
    Console(stderr=True).print(
        "[bold yellow]Store this key now:[/] it is shown only once and cannot be recovered.",
        highlight=False,
    )


@apikey_app.command("list")
def list_command(
    team: Annotated[str | None, typer.Option("--team", help="Only this team's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Every key (of one team with --team), without secrets."""
    from tasks.api_keys import ApiKeyService, key_record
    from tasks.models import utcnow

    now = utcnow()
    with open_database(load_settings())() as session:
        keys = ApiKeyService(session, actor_id="cli", source="cli").list_keys(team_id=team)
        rows = [key_record(api_key, now=now) for api_key in keys]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        typer.echo("No API keys yet; create one with `taskpilot apikey create`.")
        return
    table = Table(title="API keys", header_style="bold")
    for column in ("Prefix", "Team", "Name", "Scopes", "Member", "Status", "Expires", "Last used"):
        table.add_column(column, overflow="fold")
    for row in rows:
        last_used = row["last_used_at"] or "never"
        if row["last_used_ip"]:
            last_used = f"{last_used} from {row['last_used_ip']}"
        table.add_row(
            row["prefix"],
            row["team"],
            row["name"],
            ", ".join(row["scopes"]),
            row["member"] or "",
            row["status"],
            row["expires_at"] or "never",
            last_used,
        )
    Console().print(table)


@apikey_app.command("rotate")
def rotate_command(
    prefix: Annotated[str, typer.Argument(help="The prefix of the key to replace.")],
    grace: Annotated[
        str | None,
        typer.Option("--grace", help="How long the old key keeps working, such as 24h."),
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Replace a key with a new one; the old key keeps working for the grace period."""
    from tasks.api_keys import ApiKeyService

    if grace is None:
        grace_period = timedelta(hours=load_settings().api_key_rotation_grace_hours)
    else:
        grace_period = _duration(grace, option="--grace")
    with _writing() as session:
        service = ApiKeyService(session, actor_id=_actor(actor), source="cli")
        new = service.rotate(prefix=prefix, grace=grace_period)
        key, new_prefix = new.key, new.prefix
        grace_until = _when(service.get_key(prefix=prefix).grace_until)
    typer.echo(f"Rotated {prefix.strip()} to {new_prefix}; the old key works until {grace_until}.")
    typer.echo(key)
    Console(stderr=True).print(
        "[bold yellow]Store this key now:[/] it is shown only once and cannot be recovered.",
        highlight=False,
    )


@apikey_app.command("revoke")
def revoke_command(
    prefix: Annotated[str, typer.Argument(help="The prefix of the key to stop.")],
    actor: ActorOption = None,
) -> None:
    """Stop a key at once."""
    from tasks.api_keys import ApiKeyService

    with _writing() as session:
        ApiKeyService(session, actor_id=_actor(actor), source="cli").revoke(prefix=prefix)
    typer.echo(f"Revoked API key {prefix.strip()}; it stops working now.")


def _parse_time(text: str | None, *, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise fail(
            f"{option}: {text!r} is not an ISO date or time, such as 2026-11-01 or "
            "2026-11-01T09:00:00+00:00."
        ) from error
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def csv_cell(value: Any) -> str:
    """One cell of the audit CSV, defused when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
    return f"'{text}" if text.lstrip(" \u3000").startswith(_FORMULA_STARTS) else text


def _export(session: Session, out: TextIO, **filters: Any) -> int:
    from tasks.audit import audit_record, list_audit

    writer = csv.writer(out) if filters.pop("fmt") == ExportFormat.csv else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    count = 0
    after_id: int | None = None
    while True:
        page = list_audit(session, after_id=after_id, limit=EXPORT_PAGE, **filters)
        for event in page:
            record = audit_record(event)
            if writer is None:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                writer.writerow([csv_cell(record[column]) for column in CSV_COLUMNS])
        count += len(page)
        if len(page) < EXPORT_PAGE:
            return count
        after_id = page[-1].id


@audit_app.command("export")
def export_command(
    team: Annotated[str, typer.Option("--team", help="Slack team id.")],
    since: Annotated[
        str | None, typer.Option("--since", help="Events at or after this ISO time (UTC if bare).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Events before this ISO time (UTC if bare).")
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="jsonl (one JSON object a line) or csv.")
    ] = ExportFormat.jsonl,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Write a team's audit events, oldest first, page by page."""
    from tasks.errors import TaskError

    filters: dict[str, Any] = {
        "team_id": team,
        "since": _parse_time(since, option="--since"),
        "until": _parse_time(until, option="--until"),
        "fmt": fmt,
    }
    with open_database(load_settings())() as session:
        try:
            if output is None:
                count = _export(session, sys.stdout, **filters)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    count = _export(session, out, **filters)
        except OSError as error:
            raise fail(f"cannot write {output}: {error.strerror or error}") from error
        except TaskError as error:
            raise fail(str(error)) from error
    if output is not None:
        typer.echo(f"Wrote {count} audit events of {team} to {output}.")
