"""`taskpilot eval ...`: run the evals and lint their datasets.

Exit codes: 0 when the run finished and met `--min-pass-rate` (or no bar was set) or the lint
found nothing; 1 when the pass rate is below the bar; 2 for malformed datasets, an unknown
model or prompt version, and bad options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console

from evals.dataset import LintIssue, read_datasets

EXIT_BELOW_BAR: Final = 1
EXIT_USAGE: Final = 2

app = typer.Typer(
    help="Score the agent's tool calls against eval datasets (taskpilot-evals/v1).",
    no_args_is_help=True,
)


def _stderr() -> Console:
    return Console(stderr=True)


def _print_issues(issues: list[LintIssue], *, console: Console) -> None:
    count = len(issues)
    files = len({issue.file for issue in issues})
    console.print(
        f"[bold red]{count} problem{'s' if count != 1 else ''} in "
        f"{files} dataset file{'s' if files != 1 else ''}:[/]",
        highlight=False,
    )
    for issue in issues:
        console.print(f"  {issue}", markup=False, highlight=False, soft_wrap=True)


def _error(message: str) -> typer.Exit:
    _stderr().print(f"[bold red]Error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_USAGE)


@app.command("run")
def run(
    dataset: Annotated[
        list[Path],
        typer.Option(
            "--dataset",
            help="A dataset file, or a directory of *.yaml files. Repeat for more.",
            show_default=False,
        ),
    ],
    model: Annotated[
        str | None,
        typer.Option("--model", help="Model to evaluate (default: the first configured model)."),
    ] = None,
    prompt: Annotated[
        str | None,
        typer.Option("--prompt", help="Prompt version, such as v1 (default: the configured one)."),
    ] = None,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="Run every case this many times.")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Cases to run at the same time.")
    ] = 1,
    json_out: Annotated[
        Path | None,
        typer.Option("--json-out", help="Write the JSON report (taskpilot-eval-report/v1) here."),
    ] = None,
    min_pass_rate: Annotated[
        float | None,
        typer.Option(
            "--min-pass-rate",
            min=0.0,
            max=1.0,
            help="Exit 1 unless the pass rate (0..1) is at least this.",
        ),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on a terminal.")
    ] = True,
) -> None:
    """Run the eval datasets through the agent and score the tool calls."""
    datasets, issues = read_datasets(dataset)
    if issues:
        _print_issues(issues, console=_stderr())
        raise typer.Exit(EXIT_USAGE)

    from core.settings import Settings
    from evals.report import print_report, write_json
    from evals.runner import EvalSetupError, run_eval

    try:
        settings = Settings()
    except ValueError as error:
        raise _error(f"the settings are invalid: {error}") from error
    chosen_model = model or settings.model_chain[0]
    try:
        report = run_eval(
            datasets,
            models=[chosen_model],
            prompt_versions=[prompt],
            repeat=repeat,
            concurrency=concurrency,
            progress=progress,
            settings=settings,
        )
    except EvalSetupError as error:
        raise _error(str(error)) from error

    console = Console()
    print_report(report, console=console)
    if json_out is not None:
        written = write_json(report, json_out)
        console.print(f"JSON report written to {written}", markup=False, highlight=False)
    if min_pass_rate is None:
        return
    rate = report.pass_rate
    # A small tolerance, so that 17/20 meets a bar of 0.85 whatever the float rounding.
    meets = rate + 1e-9 >= min_pass_rate
    verdict = (
        f"Pass rate {rate:.1%} meets the bar of {min_pass_rate:.1%}."
        if meets
        else f"Pass rate {rate:.1%} is below the bar of {min_pass_rate:.1%}."
    )
    if meets:
        console.print(f"[bold green]{verdict}[/]", highlight=False)
        return
    console.print(f"[bold red]{verdict}[/]", highlight=False)
    raise typer.Exit(EXIT_BELOW_BAR)


@app.command("lint")
def lint(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Dataset files, or directories of *.yaml files.", show_default=False),
    ],
) -> None:
    """Check eval datasets without running them; list every malformed case."""
    datasets, issues = read_datasets(paths)
    if issues:
        _print_issues(issues, console=_stderr())
        raise typer.Exit(EXIT_USAGE)
    cases = sum(len(item.cases) for item in datasets)
    Console().print(
        f"{len(datasets)} dataset file{'s' if len(datasets) != 1 else ''}, "
        f"{cases} case{'s' if cases != 1 else ''}: no problems.",
        highlight=False,
    )
