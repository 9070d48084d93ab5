"""`taskpilot chat`: the agent in a terminal, interactive or one turn at a time."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.cli_support import fail, open_database
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from agent.assembly import AgentRuntime
    from agent.result import TurnResult

# The agent, pydantic-ai and the database load when `chat` runs, not when the CLI starts, so
# that `taskpilot --help` and the other commands stay quick.

_HELP = """Type what you need in plain words, for example:
  remind bob to send the Q3 deck by friday
  what's on my plate?
  make #1 urgent        mark #1 done        delete #1
Commands: /help, /quit."""


def _runtime(settings: Settings, model: str | None, prompt: str | None) -> AgentRuntime:
    from agent.assembly import build_runtime
    from agent.instructions import PromptTemplateError
    from agent.model_chain import UnknownModel
    from prompts.loader import UnknownPromptVersion

    try:
        return build_runtime(settings=settings, model=model, prompt_version=prompt)
    except (UnknownModel, UnknownPromptVersion, PromptTemplateError) as error:
        raise fail(str(error)) from error


def cards_table(cards: list[dict[str, Any]], *, title: str | None = None) -> Table:
    """Task cards as a terminal table."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in ("#", "Title", "Status", "Priority", "Assignee", "Due", "Tags"):
        table.add_column(column, overflow="fold")
    for card in cards:
        tags: list[str] = card.get("tags") or []
        table.add_row(
            str(card.get("id", "")),
            str(card.get("title", "")),
            str(card.get("status", "")).replace("_", " "),
            str(card.get("priority", "")),
            str(card.get("assignee_name") or card.get("assignee") or "–"),
            str(card.get("due") or "–"),
            ", ".join(f"#{tag}" for tag in tags),
        )
    return table


def _render(console: Console, result: TurnResult, *, explain: bool = False) -> None:
    console.print(f"[bold cyan]taskpilot ›[/] {result.reply}", highlight=False)
    unique: dict[Any, dict[str, Any]] = {}
    for card in result.cards:
        unique[card.get("id")] = card
    if unique:
        console.print(cards_table(list(unique.values())))
    if explain:
        from agent.offline.readings import explain_json

        text = (
            explain_json(result.trace)
            if result.trace is not None
            else f"no trace: {result.model} answered, and only the offline model explains itself"
        )
        console.print(f"[dim]{escape(text)}[/]", highlight=False)


def chat(
    once: Annotated[
        str | None, typer.Option("--once", help="Run one turn with this text and exit.")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Speaker's Slack user id.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Slack team (workspace) id.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --once: print the turn as JSON.")
    ] = False,
    model: Annotated[str | None, typer.Option("--model", help="Model to use.")] = None,
    prompt: Annotated[str | None, typer.Option("--prompt", help="Prompt version.")] = None,
    conversation: Annotated[
        str | None,
        typer.Option("--conversation", help="Conversation id (default: one per team and user)."),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="After each reply, show how the message was read and the runner-up."
        ),
    ] = False,
) -> None:
    """Talk to the TaskPilot agent in the terminal."""
    from agent.model_chain import OFFLINE
    from agent.runtime import run_turn_sync
    from agent.speaker import deps_for_speaker
    from tasks.demo import seed_demo_team

    settings = load_settings()
    team_id = team or settings.default_team
    user_id = user or settings.default_user
    session_factory = open_database(settings)
    timezone = settings.effective_timezone()
    if settings.seed_demo and team_id == settings.default_team:
        with session_factory() as session, session.begin():
            seeded = seed_demo_team(session, team_id=team_id, timezone=timezone)
        if seeded and not as_json:
            Console(stderr=True).print(
                f"[dim]Seeded the demo team {team_id}: alice, bob, carol, dave.[/]"
            )
    runtime = _runtime(settings, model, prompt)
    conversation_id = conversation or f"cli:{team_id}:{user_id}"

    def turn(text: str) -> TurnResult:
        deps = deps_for_speaker(
            session_factory,
            team_id=team_id,
            user_id=user_id,
            source="cli",
            default_timezone=timezone,
        )
        return run_turn_sync(text, runtime=runtime, deps=deps, conversation_id=conversation_id)

    if once is not None:
        result = turn(once)
        if as_json:
            typer.echo(json.dumps(result.contract_json(), ensure_ascii=False))
        else:
            _render(Console(), result, explain=explain)
        return

    console = Console()
    if runtime.model_name == OFFLINE:
        console.print(
            "[dim]Model: offline (TaskPilot's built-in deterministic parser). Set "
            "TASKPILOT_MODELS to use a provider model.[/]"
        )
    else:
        console.print(f"[dim]Model: {runtime.model_name}[/]")
    console.print(f"[dim]Team {team_id}, speaking as {user_id}. {_HELP}[/]")
    _interactive(console, turn, explain=explain)


def _interactive(
    console: Console, turn: Callable[[str], TurnResult], *, explain: bool = False
) -> None:
    # Importing readline gives input() line editing and history where the platform has it.
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  # pyright: ignore[reportUnusedImport]
    while True:
        try:
            text = console.input("[bold green]you ›[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        command = text.strip().lower()
        if command in {"/quit", "/exit", "quit", "exit"}:
            return
        if command in {"/help", "help", "?"}:
            console.print(_HELP)
            continue
        if not command:
            continue
        _render(console, turn(text), explain=explain)
