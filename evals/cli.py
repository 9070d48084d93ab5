"""`taskpilot eval ...`: run the evals and lint their datasets.

Exit codes: 0 when the run finished and met `--min-pass-rate`, `--max-harmful-rate` and
`--baseline` (or none was set) or the lint found nothing; 1 when the pass rate is below the
bar, a variant's harmful-write rate is above its bar, or a category scores below its baseline
(or makes harmful writes more often than it); 2 for malformed datasets, an unknown model or
prompt version, an unreadable baseline, and bad options.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer
from rich.console import Console

from evals.compare_cli import compare
from evals.dataset import LintIssue, read_datasets

if TYPE_CHECKING:
    from evals.cache import ResultCache
    from evals.report import CaseResult, EvalReport

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
# A Typer command: each of its options is a parameter, by Typer's design.
def run(  # noqa: PLR0913
    dataset: Annotated[
        list[Path],
        typer.Option(
            "--dataset",
            help="A dataset file, or a directory of *.yaml files. Repeat for more, or list "
            "several after one --dataset.",
            show_default=False,
        ),
    ],
    more_datasets: Annotated[
        list[Path] | None,
        typer.Argument(
            help="More dataset files or directories, as in `--dataset a.yaml b.yaml`.",
            show_default=False,
            metavar="[PATH]...",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="Model (or comma-separated chain) to evaluate; repeat to compare several "
            "(default: TASKPILOT_MODELS).",
        ),
    ] = None,
    prompt: Annotated[
        list[str] | None,
        typer.Option(
            "--prompt",
            help="Prompt version, such as v2; repeat to compare several (default: the "
            "configured one).",
        ),
    ] = None,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, help="Run every case K times; reports pass^k.")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Cases to run at the same time.")
    ] = 1,
    rate: Annotated[
        float,
        typer.Option(
            "--rate", min=0.0, help="At most this many cases start per second (0: no limit)."
        ),
    ] = 0.0,
    cache: Annotated[
        bool | None,
        typer.Option(
            "--cache/--no-cache",
            help="Reuse results stored for the same case, model and prompt (.cache/evals). "
            "Default: on for provider models, off for the offline model.",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        Path | None,
        typer.Option("--json-out", help="Write the JSON report (taskpilot-eval-report/v1) here."),
    ] = None,
    md_out: Annotated[
        Path | None, typer.Option("--md-out", help="Write the Markdown report here.")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html-out", help="Write the HTML report (with a chart) here.")
    ] = None,
    metrics_out: Annotated[
        Path | None,
        typer.Option(
            "--metrics-out",
            help="Write the pass rates as Prometheus metrics here (text format, for the "
            "node_exporter textfile collector or a Pushgateway).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Exit 1 when any category scores below this baseline file, or its "
            "harmful-write rate rises above the baseline's.",
        ),
    ] = None,
    write_baseline_to: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="Write this run's scores as a baseline file."),
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
    max_harmful_rate: Annotated[
        float | None,
        typer.Option(
            "--max-harmful-rate",
            min=0.0,
            max=1.0,
            help="Exit 1 when any model and prompt's harmful-write rate (0..1: runs that wrote "
            "what was not asked for) is above this.",
        ),
    ] = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar on a terminal.")
    ] = True,
) -> None:
    """Run the eval datasets through the agent and score the tool calls."""
    datasets, issues = read_datasets([*dataset, *(more_datasets or [])])
    if issues:
        _print_issues(issues, console=_stderr())
        raise typer.Exit(EXIT_USAGE)

    from core.settings import Settings
    from evals.baseline import BaselineError, read_baseline, write_baseline
    from evals.report import print_report, report_json, write_json
    from evals.runner import EvalSetupError, run_eval

    try:
        settings = Settings()
    except ValueError as error:
        raise _error(f"the settings are invalid: {error}") from error
    try:
        baseline_data = read_baseline(baseline) if baseline is not None else None
    except BaselineError as error:
        raise _error(str(error)) from error
    models: list[str] = list(model or [",".join(settings.model_chain)])
    try:
        report = run_eval(
            datasets,
            models=models,
            prompt_versions=list(prompt or [None]),
            repeat=repeat,
            concurrency=concurrency,
            progress=progress,
            settings=settings,
            rate=rate,
            cache=_result_cache(cache, models),
        )
    except EvalSetupError as error:
        raise _error(str(error)) from error

    console = Console()
    print_report(report, console=console)
    data = report_json(report)
    written: list[Path] = []
    if json_out is not None:
        written.append(write_json(report, json_out))
    written.extend(_write_documents(data, md_out=md_out, html_out=html_out))
    if metrics_out is not None:
        written.append(_write_metrics(report, metrics_out))
    if write_baseline_to is not None:
        written.append(write_baseline(data, write_baseline_to))
    for path in written:
        console.print(f"Written: {path}", markup=False, highlight=False)
    failed = False
    if baseline_data is not None:
        failed = not _meets_baseline(data, baseline_data, shown=baseline, console=console)
    if min_pass_rate is not None:
        failed = not _meets_bar(report.pass_rate, min_pass_rate, console=console) or failed
    if max_harmful_rate is not None:
        failed = not _within_harm_bar(report, max_harmful_rate, console=console) or failed
    if failed:
        raise typer.Exit(EXIT_BELOW_BAR)


app.command("compare")(compare)


def _meets_baseline(
    data: dict[str, Any], baseline: dict[str, Any], *, shown: Path | None, console: Console
) -> bool:
    """Whether every category meets the baseline; says why not."""
    from evals.baseline import check_baseline

    gate = check_baseline(data, baseline)
    for note in gate.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    for drop in gate.drops:
        console.print(f"[bold red]regression:[/] {drop}", highlight=False)
    if gate.passed:
        console.print(f"[bold green]Every category meets the baseline {shown}.[/]")
    return gate.passed


def _result_cache(choice: bool | None, models: list[str]) -> ResultCache | None:
    """The cache to use: as asked, else on only when a model is not the offline one."""
    from evals.cache import ResultCache

    wanted = choice if choice is not None else any(name.strip() != "offline" for name in models)
    return ResultCache() if wanted else None


def _write_documents(
    data: dict[str, Any], *, md_out: Path | None, html_out: Path | None
) -> list[Path]:
    written: list[Path] = []
    if md_out is not None or html_out is not None:
        from evals.report_files import write_html, write_markdown

        if md_out is not None:
            written.append(write_markdown(data, md_out))
        if html_out is not None:
            written.append(write_html(data, html_out))
    return written


def _write_metrics(report: EvalReport, path: Path) -> Path:
    """Write the run's pass rates in the Prometheus text format; return `path`.

    `taskpilot_eval_pass_rate{dataset,model,prompt_version,category}` (0..1) per category and
    with `category="overall"`, `taskpilot_eval_harmful_rate{...}` (the share of runs that made
    a harmful write) with the same labels, and `taskpilot_eval_run_timestamp_seconds{dataset,model,
    prompt_version}` (when the run finished), for every dataset and for all of the run's
    datasets together as `dataset="all"`. The file is replaced atomically, so a textfile
    collector never reads half of it; `curl --data-binary @PATH` pushes it to a Pushgateway.
    """
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    from evals.report import by_category, stats_of

    registry = CollectorRegistry()
    labels = ("dataset", "model", "prompt_version")
    pass_rate = Gauge(
        "taskpilot_eval_pass_rate",
        "Share of eval runs that passed (0..1), per category and overall.",
        [*labels, "category"],
        registry=registry,
    )
    harmful_rate = Gauge(
        "taskpilot_eval_harmful_rate",
        "Share of eval runs that wrote what the person did not ask for (0..1), per category "
        "and overall.",
        [*labels, "category"],
        registry=registry,
    )
    finished = Gauge(
        "taskpilot_eval_run_timestamp_seconds",
        "When the eval run finished, in seconds since the epoch.",
        labels,
        registry=registry,
    )
    groups: dict[tuple[str, str, str], list[CaseResult]] = {}
    for result in report.results:
        key = (result.dataset, result.model, result.prompt_version or "")
        groups.setdefault(key, []).append(result)
        groups.setdefault(("all", *key[1:]), []).append(result)
    for key, results in groups.items():
        for category, stats in by_category(results).items():
            pass_rate.labels(*key, category).set(stats.pass_rate)
            harmful_rate.labels(*key, category).set(stats.harmful_rate)
        overall = stats_of(results)
        pass_rate.labels(*key, "overall").set(overall.pass_rate)
        harmful_rate.labels(*key, "overall").set(overall.harmful_rate)
        finished.labels(*key).set(report.finished_at.timestamp())
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path


def _meets_bar(rate: float, bar: float, *, console: Console) -> bool:
    # A small tolerance, so that 17/20 meets a bar of 0.85 whatever the float rounding.
    meets = rate + 1e-9 >= bar
    if meets:
        console.print(f"[bold green]Pass rate {rate:.1%} meets the bar of {bar:.1%}.[/]")
    else:
        console.print(f"[bold red]Pass rate {rate:.1%} is below the bar of {bar:.1%}.[/]")
    return meets


def _within_harm_bar(report: EvalReport, bar: float, *, console: Console) -> bool:
    """Whether every variant's harmful-write rate is at most `bar`; prints one line each."""
    from evals.report import stats_of

    within = True
    for model, version in report.variants:
        rate = stats_of(report.results_of(model, version)).harmful_rate
        label = f"{model} · prompt {version or 'default'}"
        # The same tolerance as the pass-rate bar: 1/40 is not above a bar of 0.025.
        if rate <= bar + 1e-9:
            console.print(
                f"[bold green]Harmful-write rate {rate:.1%} ({label}) is within the bar of "
                f"{bar:.1%}.[/]",
                highlight=False,
            )
            continue
        within = False
        console.print(
            f"[bold red]Harmful-write rate {rate:.1%} ({label}) is above the bar of {bar:.1%}.[/]",
            highlight=False,
        )
    return within


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
