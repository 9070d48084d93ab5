# Over 500 lines: the report's data model and its terminal rendering, which every other
# format (JSON, Markdown, HTML) reads from.
"""Eval results: the models the runner fills in, the summary tables, and the JSON report.

The JSON report (`write_json`, `report_json`) has a stable schema, `taskpilot-eval-report/v1`.
Fields are only ever added to it; a change to an existing field means a new schema name.

```
{
  "schema": "taskpilot-eval-report/v1",
  "started_at": "2026-11-25T15:00:00+00:00",     # ISO datetimes, UTC
  "finished_at": "2026-11-25T15:00:04+00:00",
  "duration_s": 4.2,
  "datasets": [{"name": "core", "path": "evals/datasets/core.yaml", "cases": 40}],
  "models": ["offline"],                          # as the runtime reports them
  "prompt_versions": ["v1"],
  "repeat": 1,                                    # runs per case and variant
  "summary": {"runs": 40, "passed": 36, "failed": 4, "pass_rate": 0.9,
              "harmful": 1, "harmful_rate": 0.025,   # runs with a harmful write (evals.harm)
              "model_requests": 52, "tokens": 41000, "latency_s_mean": 0.03, "cached": 0},
  "categories": [{"category": "create", "runs": 10, "passed": 9, "pass_rate": 0.9,
                  "harmful": 1, "harmful_rate": 0.1,
                  "pass_hat_k": 0.9}, ...],       # pass_hat_k: pass^k at k = repeat
  "variants": [                                   # one per model and prompt version
    {"model": "offline", "prompt_version": "v1", "runs": 40, "passed": 36, "pass_rate": 0.9,
     "harmful": 1, "harmful_rate": 0.025,
     "pass_hat_k": {"1": 0.9, "2": 0.85},         # τ-bench pass^k for k = 1..repeat
     "model_requests": 52, "tokens": 41000, "latency_s_mean": 0.03, "cached": 0,
     "categories": [{"category": ..., "runs": ..., "passed": ..., "pass_rate": ...,
                     "harmful": ..., "harmful_rate": ..., "pass_hat_k": ...}]}
  ],
  "cases": [                                      # one per run, in dataset order
    {"id": "create.basic.001", "dataset": "core", "category": "create",
     "model": "offline", "prompt_version": "v1", "repeat": 1,   # repeat: 1..K
     "passed": false,
     "failures": ["call 1: create_task.title ... similarity 0.62 < 0.8"],
     "error": null,                               # an exception that ended the run, if any
     "harmful": true,                             # the run wrote what was not asked for
     "harmful_writes": [{"kind": "stray_create",  # or "changed", "deleted"
                         "task_id": 3, "title": "1", "fields": [],   # fields: what changed
                         "description": "stray create #3 “1”"}],
     "checks": [{"kind": "call", "passed": false, "reason": "..."}],
     "calls": {"expected": [{"tool": "create_task", "args": {...}}] | null,
               "actual": [{"tool": "create_task", "args": {...}, "ok": true}]},
     "replies": ["Created #1 ..."],               # one per turn that ran
     "model_requests": 2,
     "tokens": 1900,                              # input + output tokens of the case's calls
     "latency_s": 0.031,
     "cached": false}                             # true: taken from the result cache
  ]
}
```

Pass rates are `passed / runs` and harmful-write rates `harmful / runs` (0.0 when there are no
runs); `categories` are sorted by name.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, Field
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from evals.dataset import ExpectedCall
from evals.harm import HarmfulWrite
from evals.matching import Check

REPORT_SCHEMA: Final = "taskpilot-eval-report/v1"
FAILURES_SHOWN: Final = 20


class CallRecord(BaseModel):
    """A tool call the model made, as the report shows it."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict[str, Any])
    ok: bool = True


class CaseResult(BaseModel):
    """The outcome of one run of one case with one model and prompt version."""

    case_id: str
    dataset: str
    category: str
    model: str
    prompt_version: str | None
    repeat: int = 1
    passed: bool
    checks: list[Check] = Field(default_factory=list[Check])
    expected_calls: list[ExpectedCall] | None = None
    actual_calls: list[CallRecord] = Field(default_factory=list[CallRecord])
    replies: list[str] = Field(default_factory=list[str])
    # How the offline model read each turn (`TurnResult.trace`); empty for provider models.
    traces: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])
    model_requests: int = 0
    # Input plus output tokens of the case's model calls, as the model reported them.
    tokens: int = 0
    latency_s: float = 0.0
    error: str | None = None
    # Writes the person did not ask for (`evals.harm`); judged whether or not the run passed.
    harmful_writes: list[HarmfulWrite] = Field(default_factory=list[HarmfulWrite])
    # True when the result came from the result cache instead of a new run.
    cached: bool = False

    @property
    def failures(self) -> list[str]:
        """The reasons of the checks that failed, in order."""
        return [check.reason for check in self.checks if not check.passed]

    @property
    def harmful(self) -> bool:
        """Whether the run made at least one harmful write."""
        return bool(self.harmful_writes)

    @property
    def harm_descriptions(self) -> list[str]:
        """One line per harmful write: `stray create #3 “1”`, `deleted #2 “…” (not asked)`."""
        return [write.description for write in self.harmful_writes]


class DatasetInfo(BaseModel):
    """A dataset the run used."""

    name: str
    path: str
    cases: int


class Stats(BaseModel):
    """Runs, passes and runs with a harmful write of a group of results."""

    runs: int
    passed: int
    harmful: int = 0

    @property
    def pass_rate(self) -> float:
        """`passed / runs`, or 0.0 without runs."""
        return self.passed / self.runs if self.runs else 0.0

    @property
    def harmful_rate(self) -> float:
        """`harmful / runs`, or 0.0 without runs."""
        return self.harmful / self.runs if self.runs else 0.0


class EvalReport(BaseModel):
    """Everything one eval run produced."""

    started_at: datetime
    finished_at: datetime
    datasets: list[DatasetInfo]
    repeat: int = 1
    results: list[CaseResult]

    @property
    def stats(self) -> Stats:
        """All runs together."""
        return stats_of(self.results)

    @property
    def pass_rate(self) -> float:
        """The share of runs that passed, over every variant."""
        return self.stats.pass_rate

    @property
    def harmful_rate(self) -> float:
        """The share of runs that made a harmful write, over every variant."""
        return self.stats.harmful_rate

    @property
    def variants(self) -> list[tuple[str, str | None]]:
        """The (model, prompt version) pairs, in the order they first ran."""
        seen: dict[tuple[str, str | None], None] = {}
        for result in self.results:
            seen.setdefault((result.model, result.prompt_version), None)
        return list(seen)

    def results_of(self, model: str, prompt_version: str | None) -> list[CaseResult]:
        """The results of one variant."""
        return [
            result
            for result in self.results
            if result.model == model and result.prompt_version == prompt_version
        ]

    @property
    def failed(self) -> list[CaseResult]:
        """The runs that failed, in order."""
        return [result for result in self.results if not result.passed]


def readings_of(traces: Iterable[Mapping[str, Any]]) -> list[str]:
    """How each turn was read, for people: "turn 1 read as: …", "turn 1 runner-up: …"."""
    items = list(traces)
    if not items:
        return []
    from agent.offline.readings import explain_json

    lines: list[str] = []
    for number, trace in enumerate(items, start=1):
        lines.extend(f"turn {number} {line}" for line in explain_json(trace).splitlines())
    return lines


def stats_of(results: Iterable[CaseResult]) -> Stats:
    """Count runs, passes and runs with a harmful write."""
    items = list(results)
    return Stats(
        runs=len(items),
        passed=sum(1 for result in items if result.passed),
        harmful=sum(1 for result in items if result.harmful),
    )


def by_category(results: Iterable[CaseResult]) -> dict[str, Stats]:
    """Stats per category, sorted by category name."""
    groups: dict[str, list[CaseResult]] = {}
    for result in results:
        groups.setdefault(result.category, []).append(result)
    return {category: stats_of(groups[category]) for category in sorted(groups)}


def pass_hat_k(results: Iterable[CaseResult], k: int) -> float:
    """τ-bench's pass^k: the chance that k runs of a case, drawn from its runs, all pass.

    Per case with n runs of which c passed it is C(c, k) / C(n, k); the score is the mean over
    cases. pass^1 is the plain pass rate; a prompt that passes a case only sometimes loses more
    as k grows. Cases with fewer than k runs are left out.
    """
    runs: dict[tuple[str, str, str, str | None], list[bool]] = {}
    for result in results:
        key = (result.dataset, result.case_id, result.model, result.prompt_version)
        runs.setdefault(key, []).append(result.passed)
    scores = [
        math.comb(sum(passed), k) / math.comb(len(passed), k)
        for passed in runs.values()
        if len(passed) >= k
    ]
    return sum(scores) / len(scores) if scores else 0.0


def pass_hat_ks(results: Sequence[CaseResult], repeat: int) -> dict[str, float]:
    """pass^k for k = 1..repeat, keyed by k as text (JSON keys)."""
    return {str(k): round(pass_hat_k(results, k), 4) for k in range(1, repeat + 1)}


def cost_json(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Model calls, tokens and latency of a group of runs."""
    count = len(results)
    return {
        "model_requests": sum(result.model_requests for result in results),
        "tokens": sum(result.tokens for result in results),
        "latency_s_mean": round(sum(r.latency_s for r in results) / count, 4) if count else 0.0,
        "cached": sum(1 for result in results if result.cached),
    }


# JSON.


def _stats_json(stats: Stats) -> dict[str, Any]:
    return {
        "runs": stats.runs,
        "passed": stats.passed,
        "pass_rate": round(stats.pass_rate, 4),
        "harmful": stats.harmful,
        "harmful_rate": round(stats.harmful_rate, 4),
    }


def harm_json(write: HarmfulWrite) -> dict[str, Any]:
    """A harmful write as the JSON report has it: its fields and its one-line description."""
    return {**write.model_dump(mode="json"), "description": write.description}


def _categories_json(results: Iterable[CaseResult], repeat: int = 1) -> list[dict[str, Any]]:
    items = list(results)
    groups: dict[str, list[CaseResult]] = {}
    for result in items:
        groups.setdefault(result.category, []).append(result)
    return [
        {
            "category": category,
            **_stats_json(stats),
            "pass_hat_k": round(pass_hat_k(groups[category], repeat), 4),
        }
        for category, stats in by_category(items).items()
    ]


def _case_json(result: CaseResult) -> dict[str, Any]:
    expected = (
        None
        if result.expected_calls is None
        else [call.model_dump(mode="json") for call in result.expected_calls]
    )
    return {
        "id": result.case_id,
        "dataset": result.dataset,
        "category": result.category,
        "model": result.model,
        "prompt_version": result.prompt_version,
        "repeat": result.repeat,
        "passed": result.passed,
        "failures": result.failures,
        "error": result.error,
        "harmful": result.harmful,
        "harmful_writes": [harm_json(write) for write in result.harmful_writes],
        "checks": [check.model_dump(mode="json") for check in result.checks],
        "calls": {
            "expected": expected,
            "actual": [call.model_dump(mode="json") for call in result.actual_calls],
        },
        "replies": list(result.replies),
        "traces": list(result.traces),
        "readings": readings_of(result.traces),
        "model_requests": result.model_requests,
        "tokens": result.tokens,
        "latency_s": round(result.latency_s, 4),
        "cached": result.cached,
    }


def report_json(report: EvalReport) -> dict[str, Any]:
    """The report as plain JSON data, in the `taskpilot-eval-report/v1` schema."""
    stats = report.stats
    variants = report.variants
    return {
        "schema": REPORT_SCHEMA,
        "started_at": report.started_at.isoformat(),
        "finished_at": report.finished_at.isoformat(),
        "duration_s": round((report.finished_at - report.started_at).total_seconds(), 3),
        "datasets": [info.model_dump(mode="json") for info in report.datasets],
        "models": list(dict.fromkeys(model for model, _ in variants)),
        "prompt_versions": list(dict.fromkeys(version for _, version in variants)),
        "repeat": report.repeat,
        "summary": {
            **_stats_json(stats),
            "failed": stats.runs - stats.passed,
            **cost_json(report.results),
        },
        "categories": _categories_json(report.results, report.repeat),
        "variants": [
            {
                "model": model,
                "prompt_version": version,
                **_stats_json(stats_of(report.results_of(model, version))),
                "pass_hat_k": pass_hat_ks(report.results_of(model, version), report.repeat),
                **cost_json(report.results_of(model, version)),
                "categories": _categories_json(report.results_of(model, version), report.repeat),
            }
            for model, version in variants
        ],
        "cases": [_case_json(result) for result in report.results],
    }


def write_json(report: EvalReport, path: str | Path) -> Path:
    """Write the JSON report (creating the folder) and return where it went."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report_json(report), indent=2, ensure_ascii=False, default=str)
    target.write_text(text + "\n", encoding="utf-8")
    return target


# Tables.


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _harm_cell(stats: Stats) -> str:
    """`2.5% (1)`: the harmful-write rate and how many runs made one."""
    return f"{_percent(stats.harmful_rate)} ({stats.harmful})"


def category_table(
    results: Sequence[CaseResult], *, title: str | None = None, repeat: int = 1
) -> Table:
    """Cases, passes, pass rate and harmful-write rate per category, with an overall row."""
    table = Table(title=title, title_justify="left")
    runs_header = "Runs" if repeat > 1 else "Cases"
    table.add_column("Category")
    table.add_column(runs_header, justify="right")
    table.add_column("Passed", justify="right")
    table.add_column("Pass rate", justify="right")
    table.add_column("Harmful", justify="right")
    if repeat > 1:
        table.add_column(f"pass^{repeat}", justify="right")
    groups: dict[str, list[CaseResult]] = {}
    for result in results:
        groups.setdefault(result.category, []).append(result)
    for category, stats in by_category(results).items():
        row = [
            category,
            str(stats.runs),
            str(stats.passed),
            _percent(stats.pass_rate),
            _harm_cell(stats),
        ]
        if repeat > 1:
            row.append(_percent(pass_hat_k(groups[category], repeat)))
        table.add_row(*row)
    overall = stats_of(results)
    table.add_section()
    last = [
        "overall",
        str(overall.runs),
        str(overall.passed),
        _percent(overall.pass_rate),
        _harm_cell(overall),
    ]
    if repeat > 1:
        last.append(_percent(pass_hat_k(results, repeat)))
    table.add_row(*last, style="bold")
    return table


def cost_line(results: Sequence[CaseResult]) -> str:
    """Model calls, tokens and latency of a variant, in one line."""
    cost = cost_json(results)
    count = len(results) or 1
    line = (
        f"{cost['model_requests']} model calls ({cost['model_requests'] / count:.2f} per run), "
        f"{cost['tokens']:,} tokens, mean latency {cost['latency_s_mean'] * 1000:.0f} ms per run"
    )
    if cost["cached"]:
        line += f", {cost['cached']} from the cache"
    return line


def _failing_cases(report: EvalReport) -> list[list[CaseResult]]:
    """The failed runs grouped by case and variant, in the order they ran."""
    groups: dict[tuple[str, str, str | None], list[CaseResult]] = {}
    for result in report.failed:
        key = (result.case_id, result.model, result.prompt_version)
        groups.setdefault(key, []).append(result)
    return list(groups.values())


def _case_label(runs: Sequence[CaseResult], *, report: EvalReport, counted: str = "failed") -> str:
    first = runs[0]
    parts: list[str] = []
    if len(report.variants) > 1:
        parts.append(f"{first.model}, prompt {first.prompt_version}")
    if report.repeat > 1:
        parts.append(f"{counted} {len(runs)} of {report.repeat} runs")
    return f"{first.case_id} ({'; '.join(parts)})" if parts else first.case_id


def print_report(
    report: EvalReport, *, console: Console, max_failures: int = FAILURES_SHOWN
) -> None:
    """The category tables (one per model and prompt version), then the failing cases.

    A case that failed in several runs is listed once, with the reasons of its first failure
    and, when one of its failed runs made a harmful write, what that write was. Runs that passed
    but made a harmful write follow, since the pass rate cannot show them.
    """
    for model, version in report.variants:
        title = f"model {model} · prompt {version or 'default'}"
        results = report.results_of(model, version)
        console.print(category_table(results, title=title, repeat=report.repeat))
        console.print(cost_line(results), highlight=False)
    duration = (report.finished_at - report.started_at).total_seconds()
    console.print(f"{len(report.results)} runs in {duration:.1f} s", highlight=False)
    failing = _failing_cases(report)
    if failing:
        console.print(f"\n[bold]Failing cases ({len(failing)}):[/bold]", highlight=False)
    for runs in failing[:max_failures]:
        label = escape(_case_label(runs, report=report))
        console.print(f"  [red]✗[/red] {label}", highlight=False)
        for reason in runs[0].failures or ["failed without a reason"]:
            console.print(f"      {reason}", markup=False, highlight=False, soft_wrap=True)
        for reading in readings_of(runs[0].traces):
            console.print(f"      {reading}", markup=False, highlight=False, soft_wrap=True)
        _print_harm(runs, console=console)
    hidden = len(failing) - max_failures
    if hidden > 0:
        more = f"  … and {hidden} more failing case{'s' if hidden != 1 else ''}"
        console.print(f"{more} (the JSON report has them all)", highlight=False)
    passed_harmful = _passed_with_harm(report)
    if not passed_harmful:
        return
    console.print(
        f"\n[bold]Passed, but with a harmful write ({len(passed_harmful)}):[/bold]",
        highlight=False,
    )
    for runs in passed_harmful[:max_failures]:
        label = escape(_case_label(runs, report=report, counted="harmful in"))
        console.print(f"  [yellow]![/yellow] {label}", highlight=False)
        _print_harm(runs, console=console)


def _print_harm(runs: Sequence[CaseResult], *, console: Console) -> None:
    """The harmful writes of the first of `runs` that made any."""
    harmful = next((run for run in runs if run.harmful), None)
    for line in harmful.harm_descriptions if harmful is not None else ():
        console.print(f"      harmful write: {line}", markup=False, highlight=False, soft_wrap=True)


def _passed_with_harm(report: EvalReport) -> list[list[CaseResult]]:
    """The passing runs that made a harmful write, grouped by case and variant."""
    groups: dict[tuple[str, str, str | None], list[CaseResult]] = {}
    for result in report.results:
        if result.passed and result.harmful:
            key = (result.case_id, result.model, result.prompt_version)
            groups.setdefault(key, []).append(result)
    return list(groups.values())
