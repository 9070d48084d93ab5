"""`taskpilot tasks ...` and `taskpilot users ...`: the task list and the local user directory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from core.cli_support import fail, open_database
from core.settings import load_settings
from tasks.enums import TaskStatus

# The domain modules load SQLAlchemy; commands import them when they run, so that
# `taskpilot --help` stays quick.

app = typer.Typer(help="Read the task list.", no_args_is_help=True)
users_app = typer.Typer(
    help="The local user directory (Slack fills it in production).", no_args_is_help=True
)


@app.command("list")
def list_command(
    team: Annotated[str | None, typer.Option("--team", help="Slack team id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    status: Annotated[
        list[TaskStatus] | None, typer.Option("--status", help="Only these statuses.")
    ] = None,
) -> None:
    """Every task of a team, all statuses unless --status is given."""
    from tasks.cards import task_record
    from tasks.service import TaskService

    settings = load_settings()
    team_id = team or settings.default_team
    with open_database(settings)() as session:
        service = TaskService(session, team_id=team_id, actor_id="cli", source="cli")
        tasks = service.list_tasks(status=status or None, limit=None)
        rows = [task_record(task) for task in sorted(tasks, key=lambda t: t.number)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Tasks of {team_id}", header_style="bold")
    for column in ("#", "Title", "Status", "Priority", "Assignee", "Due", "Tags"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["title"],
            row["status"],
            row["priority"],
            row["assignee"] or "–",
            row["due"] or "–",
            ", ".join(row["tags"]),
        )
    Console().print(table if rows else f"No tasks in {team_id} yet.")


def _add_users(team_id: str, users: Iterable[dict[str, str]]) -> int:
    from tasks.directory import UserDirectory

    count = 0
    with open_database(load_settings())() as session, session.begin():
        directory = UserDirectory(session, team_id=team_id)
        for user in users:
            directory.upsert(
                user_id=user["id"],
                handle=user["handle"],
                real_name=user.get("real_name") or None,
                display_name=user.get("display_name") or None,
                tz=user.get("tz") or None,
            )
            count += 1
    return count


@users_app.command("add")
def users_add(
    user_id: Annotated[str, typer.Argument(help="Slack user id, such as U02ABC.")],
    handle: Annotated[str, typer.Argument(help="Handle without @, such as bob.")],
    real_name: Annotated[str | None, typer.Option("--name", help="Real name.")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Slack team id.")] = None,
) -> None:
    """Add or update one person in the directory."""
    if tz:
        _check_zone(tz)
    team_id = team or load_settings().default_team
    _add_users(
        team_id, [{"id": user_id, "handle": handle, "real_name": real_name or "", "tz": tz or ""}]
    )
    typer.echo(f"Saved @{handle} ({user_id}) in {team_id}.")


def _check_zone(tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise fail(f"{tz!r} is not an IANA time zone, such as America/New_York.") from error


def _read_people(path: Path) -> list[dict[str, str]]:
    """People from a CSV (columns id, handle, real_name, tz) or a JSON list of objects."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data: Any = json.loads(text)
        if not isinstance(data, list):
            raise ValueError("the JSON file must hold a list of people")
        rows: list[dict[str, str]] = []
        for item in data:  # pyright: ignore[reportUnknownVariableType]
            if not isinstance(item, dict):
                raise ValueError("each person must be an object with id and handle")
            rows.append({str(k): str(v) for k, v in item.items() if v is not None})  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    else:
        rows = [dict(row) for row in csv.DictReader(text.splitlines())]
    for number, row in enumerate(rows, start=1):
        if not row.get("id") or not row.get("handle"):
            raise ValueError(f"person {number} has no id or handle")
        if row.get("tz"):
            ZoneInfo(row["tz"])
    return rows


@users_app.command("import")
def users_import(
    path: Annotated[Path, typer.Argument(help="CSV (id,handle,real_name,tz) or JSON list.")],
    team: Annotated[str | None, typer.Option("--team", help="Slack team id.")] = None,
) -> None:
    """Add or update many people at once; nothing is saved if any row is wrong."""
    try:
        people = _read_people(path)
    except (OSError, ValueError, ZoneInfoNotFoundError) as error:
        raise fail(f"cannot import {path}: {error}") from error
    team_id = team or load_settings().default_team
    count = _add_users(team_id, people)
    typer.echo(f"Saved {count} people in {team_id}.")


@users_app.command("list")
def users_list(
    team: Annotated[str | None, typer.Option("--team", help="Slack team id.")] = None,
) -> None:
    """The people TaskPilot knows in a team."""
    from tasks.directory import UserDirectory

    settings = load_settings()
    team_id = team or settings.default_team
    with open_database(settings)() as session:
        users = UserDirectory(session, team_id=team_id).list_users()
    table = Table(title=f"People of {team_id}", header_style="bold")
    for column in ("Id", "Handle", "Name", "Time zone"):
        table.add_column(column)
    for user in users:
        table.add_row(user.user_id, f"@{user.handle}", user.real_name or "", user.tz or "")
    Console().print(
        table if users else f"Nobody in {team_id} yet; add people with `taskpilot users add`."
    )
