# Over 500 lines: the Markdown report's sections (summary, categories, harmful writes,
# failing cases with their traces) share one set of table and escaping helpers.
"""The eval report as Markdown (for a GitHub PR comment), and the readers of the JSON report.

`markdown_report` takes the `taskpilot-eval-report/v1` dict that `evals.report.report_json`
builds (or that `--json-out` wrote) and returns Markdown: a title line with the models, prompt
versions and duration, a table per variant (model × prompt version), a table of pass rates per
category with one column per variant (each followed by its harmful-write rate), the runs that
passed but made a harmful write, and the failing cases with their reasons, their harmful
writes and expected vs actual calls. The text stays under `max_chars` (GitHub refuses
comments over 65,536 characters): when the failing cases do not fit, the list is cut and a note
says how many were left out.

The readers below (`read_variants`, `read_cases`, `failing_cases`, ...) are shared by the HTML
report and `evals.compare`. They read every field defensively: a report from an older or newer
writer that lacks a field, or has extra ones, still renders.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

MAX_CHARS: Final = 60_000
COLLAPSE_AFTER: Final = 5
CALLS_CHARS: Final = 1_500
REPLY_CHARS: Final = 300
HARMFUL_PASSES_SHOWN: Final = 50

# Reading the JSON report.


def as_list(value: object) -> list[Any]:
    """`value` if it is a list, else an empty list."""
    return cast("list[Any]", value) if isinstance(value, list) else []


def as_mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else {}


def as_int(value: object, default: int = 0) -> int:
    """`value` as an int (bools and floats too), else `default`."""
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        return int(value)
    return default


def as_optional_str(value: object) -> str | None:
    """`value` as a string, keeping None."""
    return None if value is None else str(value)


@dataclass(frozen=True)
class Stats:
    """Runs, passes and runs with a harmful write of a group of runs."""

    runs: int
    passed: int
    harmful: int | None = None
    """Runs with a harmful write; None for a report written before they were counted."""

    @property
    def failed(self) -> int:
        """The runs that did not pass."""
        return self.runs - self.passed

    @property
    def pass_rate(self) -> float:
        """`passed / runs`, or 0.0 without runs."""
        return self.passed / self.runs if self.runs else 0.0

    @property
    def harmful_rate(self) -> float | None:
        """`harmful / runs` (0.0 without runs), or None when the report did not count them."""
        if self.harmful is None:
            return None
        return self.harmful / self.runs if self.runs else 0.0


def stats_from(data: Mapping[str, Any]) -> Stats:
    """The `runs`, `passed` and `harmful` of a summary, variant or category object."""
    harmful = as_int(data.get("harmful")) if "harmful" in data else None
    return Stats(runs=as_int(data.get("runs")), passed=as_int(data.get("passed")), harmful=harmful)


@dataclass(frozen=True)
class CaseRun:
    """One run of one case with one variant, as the JSON report has it."""

    case_id: str
    dataset: str
    category: str
    model: str
    prompt_version: str | None
    repeat: int
    passed: bool
    failures: tuple[str, ...]
    error: str | None
    expected_calls: list[Any] | None
    actual_calls: list[Any]
    replies: tuple[str, ...]
    harmful: bool | None = None
    """Whether the run made a harmful write; None for a report from before they were judged."""
    harmful_writes: tuple[str, ...] = ()
    """One line per harmful write, such as `stray create #3 “1”`."""
    readings: tuple[str, ...] = ()
    """How the offline model read each turn: the winning reading and the runner-up."""

    @property
    def variant_key(self) -> tuple[str, str | None]:
        """(model, prompt version)."""
        return (self.model, self.prompt_version)


def _case_run(data: Mapping[str, Any]) -> CaseRun:
    failures = [str(reason) for reason in as_list(data.get("failures"))]
    if "failures" not in data:
        failures = [
            str(as_mapping(check).get("reason", ""))
            for check in as_list(data.get("checks"))
            if not as_mapping(check).get("passed", True)
        ]
    calls = as_mapping(data.get("calls"))
    expected = calls.get("expected")
    writes = tuple(_harm_text(item) for item in as_list(data.get("harmful_writes")))
    harmful = bool(data["harmful"]) if "harmful" in data else (True if writes else None)
    return CaseRun(
        case_id=str(data.get("id", "?")),
        dataset=str(data.get("dataset", "")),
        category=str(data.get("category", "uncategorized")),
        model=str(data.get("model", "")),
        prompt_version=as_optional_str(data.get("prompt_version")),
        repeat=as_int(data.get("repeat"), 1),
        passed=bool(data.get("passed", False)),
        failures=tuple(failures),
        error=as_optional_str(data.get("error")),
        expected_calls=as_list(expected) if expected is not None else None,
        actual_calls=as_list(calls.get("actual")),
        replies=tuple(str(reply) for reply in as_list(data.get("replies"))),
        harmful=harmful,
        harmful_writes=writes,
        readings=tuple(str(line) for line in as_list(data.get("readings"))),
    )


def _harm_text(item: object) -> str:
    """A harmful write's line: its `description`, or the item itself when it is text."""
    data = as_mapping(item)
    if data:
        return str(data.get("description") or data.get("kind") or "harmful write")
    return str(item)


def read_cases(report: Mapping[str, Any]) -> list[CaseRun]:
    """Every run in the report, in report order."""
    return [_case_run(as_mapping(item)) for item in as_list(report.get("cases"))]


def stats_of(runs: Iterable[CaseRun]) -> Stats:
    """Count runs, passes and (when every run was judged) runs with a harmful write."""
    items = list(runs)
    judged = all(run.harmful is not None for run in items)
    return Stats(
        runs=len(items),
        passed=sum(1 for run in items if run.passed),
        harmful=sum(1 for run in items if run.harmful) if judged else None,
    )


def categories_of(runs: Iterable[CaseRun]) -> dict[str, Stats]:
    """Stats per category, sorted by category."""
    groups: dict[str, list[CaseRun]] = {}
    for run in runs:
        groups.setdefault(run.category, []).append(run)
    return {category: stats_of(groups[category]) for category in sorted(groups)}


def variant_label(model: str, prompt_version: str | None) -> str:
    """How a variant is named in tables: `model · prompt`."""
    return f"{model} · {prompt_version or 'default'}"


@dataclass(frozen=True)
class Variant:
    """One model and prompt version with its stats overall and per category."""

    model: str
    prompt_version: str | None
    stats: Stats
    categories: Mapping[str, Stats]
    data: Mapping[str, Any] = field(default_factory=dict[str, Any])
    """The variant's whole JSON object, for fields added after v1 (see `extra_columns`)."""

    @property
    def key(self) -> tuple[str, str | None]:
        """(model, prompt version)."""
        return (self.model, self.prompt_version)

    @property
    def label(self) -> str:
        """`model · prompt`."""
        return variant_label(self.model, self.prompt_version)


def read_variants(report: Mapping[str, Any]) -> list[Variant]:
    """The report's variants; worked out from its cases when it does not list them."""
    cases = read_cases(report)
    variants: list[Variant] = []
    for item in as_list(report.get("variants")):
        data = as_mapping(item)
        model = str(data.get("model", ""))
        version = as_optional_str(data.get("prompt_version"))
        runs = [case for case in cases if case.variant_key == (model, version)]
        stats = stats_from(data) if "runs" in data else stats_of(runs)
        if "categories" in data:
            categories = {
                str(as_mapping(entry).get("category", "uncategorized")): stats_from(
                    as_mapping(entry)
                )
                for entry in as_list(data.get("categories"))
            }
            categories = {name: categories[name] for name in sorted(categories)}
        else:
            categories = categories_of(runs)
        variants.append(Variant(model, version, stats, categories, data))
    if variants or "variants" in report:
        return variants
    keys = list(dict.fromkeys(case.variant_key for case in cases))
    for model, version in keys:
        runs = [case for case in cases if case.variant_key == (model, version)]
        variants.append(Variant(model, version, stats_of(runs), categories_of(runs)))
    return variants


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def extra_columns(variants: Sequence[Variant], repeat: int) -> list[tuple[str, list[str]]]:
    """Optional columns of the overall table, from fields newer writers add to each variant.

    The harmful-write rate (first, so that it stands beside the pass rate), pass^k at
    k = repeat (when cases ran more than once), tokens and mean latency; a column is shown when
    any variant has the field, with an em dash for the others.
    """
    columns: list[tuple[str, list[str]]] = []
    if any(variant.stats.harmful is not None for variant in variants):
        columns.append(("Harmful", [harm_cell(variant.stats) for variant in variants]))
    if repeat > 1:
        cells = [
            _number(as_mapping(variant.data.get("pass_hat_k")).get(str(repeat)))
            for variant in variants
        ]
        if any(cell is not None for cell in cells):
            columns.append(
                (f"pass^{repeat}", ["—" if cell is None else percent(cell) for cell in cells])
            )
    tokens = [_number(variant.data.get("tokens")) for variant in variants]
    if any(cell is not None for cell in tokens):
        columns.append(("Tokens", ["—" if cell is None else f"{cell:,.0f}" for cell in tokens]))
    latency = [_number(variant.data.get("latency_s_mean")) for variant in variants]
    if any(cell is not None for cell in latency):
        columns.append(
            ("Mean latency", ["—" if cell is None else f"{cell:.2f} s" for cell in latency])
        )
    return columns


def overall_stats(report: Mapping[str, Any]) -> Stats:
    """The report's summary, or the count of its cases."""
    summary = as_mapping(report.get("summary"))
    if "runs" in summary:
        return stats_from(summary)
    return stats_of(read_cases(report))


def all_categories(variants: Sequence[Variant]) -> list[str]:
    """Every category of any variant, sorted."""
    return sorted({name for variant in variants for name in variant.categories})


@dataclass(frozen=True)
class FailingCase:
    """A case that failed with one variant: its first failed run and how many runs failed."""

    run: CaseRun
    failed_runs: int
    total_runs: int
    harmful_writes: tuple[str, ...] = ()
    """The harmful writes of the first failed run that made any."""


def _first_harm(runs: Sequence[CaseRun]) -> tuple[str, ...]:
    return next((run.harmful_writes for run in runs if run.harmful_writes), ())


def failing_cases(report: Mapping[str, Any]) -> list[FailingCase]:
    """The failing cases, one per case id and variant, in the order they ran."""
    totals: dict[tuple[str, str, str | None], int] = {}
    failed: dict[tuple[str, str, str | None], list[CaseRun]] = {}
    for run in read_cases(report):
        key = (run.case_id, run.model, run.prompt_version)
        totals[key] = totals.get(key, 0) + 1
        if not run.passed:
            failed.setdefault(key, []).append(run)
    return [
        FailingCase(runs[0], len(runs), totals[key], _first_harm(runs))
        for key, runs in failed.items()
    ]


@dataclass(frozen=True)
class HarmfulPass:
    """A case whose runs passed with one variant, though some made a harmful write."""

    run: CaseRun
    """The first passing run with a harmful write."""
    harmful_runs: int
    total_runs: int


def harmful_passes(report: Mapping[str, Any]) -> list[HarmfulPass]:
    """The passing runs that made a harmful write, one entry per case id and variant.

    The pass rate cannot show these: the expectation held, yet something else was written.
    """
    totals: dict[tuple[str, str, str | None], int] = {}
    harmful: dict[tuple[str, str, str | None], list[CaseRun]] = {}
    for run in read_cases(report):
        key = (run.case_id, run.model, run.prompt_version)
        totals[key] = totals.get(key, 0) + 1
        if run.passed and run.harmful:
            harmful.setdefault(key, []).append(run)
    return [HarmfulPass(runs[0], len(runs), totals[key]) for key, runs in harmful.items()]


def report_meta(report: Mapping[str, Any]) -> tuple[list[str], list[str], float | None]:
    """The models, the prompt versions (None as `default`) and the duration in seconds."""
    variants = read_variants(report)
    models = [str(model) for model in as_list(report.get("models"))] or list(
        dict.fromkeys(variant.model for variant in variants)
    )
    versions_raw = (
        as_list(report.get("prompt_versions"))
        if "prompt_versions" in report
        else list(dict.fromkeys(variant.prompt_version for variant in variants))
    )
    versions = [str(version) if version is not None else "default" for version in versions_raw]
    duration = report.get("duration_s")
    seconds = (
        float(duration)
        if isinstance(duration, int | float) and not isinstance(duration, bool)
        else None
    )
    return models, versions, seconds


def dataset_names(report: Mapping[str, Any]) -> list[str]:
    """`name (N cases)` for each dataset the report names."""
    names: list[str] = []
    for item in as_list(report.get("datasets")):
        data = as_mapping(item)
        name = str(data.get("name") or data.get("path") or "?")
        cases = data.get("cases")
        names.append(f"{name} ({as_int(cases)} cases)" if cases is not None else name)
    return names


def format_duration(seconds: float | None) -> str:
    """`4.2 s`, `2 min 05 s`, or `?`."""
    if seconds is None:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def percent(rate: float) -> str:
    """`83.3%`."""
    return f"{rate * 100:.1f}%"


def rate_cell(stats: Stats | None) -> str:
    """`83.3% (10/12)`, or an em dash for a category the variant did not run."""
    if stats is None or stats.runs == 0:
        return "—"
    return f"{percent(stats.pass_rate)} ({stats.passed}/{stats.runs})"


def harm_cell(stats: Stats | None) -> str:
    """`8.3% (1/12)`: the harmful-write rate; an em dash when not run or not counted."""
    if stats is None or stats.runs == 0 or stats.harmful is None:
        return "—"
    return f"{percent(stats.harmful_rate or 0.0)} ({stats.harmful}/{stats.runs})"


def counts_harm(variants: Sequence[Variant]) -> bool:
    """Whether any variant's categories carry harmful-write counts (newer reports do)."""
    return any(
        stats.harmful is not None for variant in variants for stats in variant.categories.values()
    )


def compact_json(value: object, *, limit: int | None = None) -> str:
    """One line of JSON, cut with an ellipsis past `limit` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + "…"
    return text


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut with an ellipsis past `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# Markdown.

_MD_SPECIAL: Final = frozenset("\\`*_[]<>|~&#")


def md_text(text: str) -> str:
    """Text with the characters Markdown or HTML would interpret escaped, on one line."""
    flat = " ".join(text.split())
    return "".join(f"\\{char}" if char in _MD_SPECIAL else char for char in flat)


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


def md_code(text: str) -> str:
    """An inline code span that holds `text` whatever backticks it contains."""
    flat = " ".join(text.split())
    ticks = "`" * (_longest_backtick_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def md_fence(body: str, info: str = "") -> str:
    """A fenced code block that holds `body` whatever backticks it contains."""
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> list[str]:
    aligns = {"l": "---", "r": "---:"}
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(aligns[char] for char in align) + "|",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _overall_table(variants: Sequence[Variant], runs_header: str, repeat: int) -> list[str]:
    extra = extra_columns(variants, repeat)
    rows = [
        [
            md_text(variant.model),
            md_text(variant.prompt_version or "default"),
            str(variant.stats.runs),
            str(variant.stats.passed),
            str(variant.stats.failed),
            f"**{percent(variant.stats.pass_rate)}**",
            *(cells[index] for _, cells in extra),
        ]
        for index, variant in enumerate(variants)
    ]
    header = ["Model", "Prompt", runs_header, "Passed", "Failed", "Pass rate"]
    header += [name for name, _ in extra]
    return _table(header, rows, "llrrrr" + "r" * len(extra))


def _category_table(variants: Sequence[Variant]) -> list[str]:
    harm = counts_harm(variants)

    def cells(stats: Stats | None, *, bold: bool = False) -> list[str]:
        values = [rate_cell(stats), *([harm_cell(stats)] if harm else [])]
        return [f"**{value}**" for value in values] if bold else values

    rows = [
        [
            md_text(category),
            *(cell for variant in variants for cell in cells(variant.categories.get(category))),
        ]
        for category in all_categories(variants)
    ]
    rows.append(
        ["**overall**", *(cell for variant in variants for cell in cells(variant.stats, bold=True))]
    )
    header = ["Category"]
    for variant in variants:
        header.append(md_text(variant.label))
        if harm:
            header.append(
                "harmful" if len(variants) == 1 else f"harmful ({md_text(variant.label)})"
            )
    return _table(header, rows, "l" + "r" * (len(header) - 1))


def _failing_entry(case: FailingCase, *, show_variant: bool) -> str:
    run = case.run
    parts = [f"**{md_code(run.case_id)}**", md_text(run.category)]
    if show_variant:
        parts.append(md_text(variant_label(run.model, run.prompt_version)))
    if case.total_runs > 1:
        parts.append(f"failed {case.failed_runs} of {case.total_runs} runs")
    lines = [" · ".join(parts), ""]
    reasons = list(run.failures)
    if run.error:
        reasons.append(f"error: {run.error}")
    lines.extend(f"- {md_text(reason)}" for reason in reasons or ["failed without a reason"])
    lines.extend(f"- **harmful write:** {md_text(write)}" for write in case.harmful_writes)
    expected = (
        "(not checked)"
        if run.expected_calls is None
        else compact_json(run.expected_calls, limit=CALLS_CHARS)
    )
    body = [
        f"expected: {expected}",
        f"actual:   {compact_json(run.actual_calls, limit=CALLS_CHARS)}",
    ]
    body.extend(f"reply:    {shorten(reply, REPLY_CHARS)}" for reply in run.replies)
    body.extend(shorten(reading, REPLY_CHARS) for reading in run.readings)
    lines.extend(["", md_fence("\n".join(body), "text")])
    return "\n".join(lines) + "\n"


def _harmful_passes_section(report: Mapping[str, Any], *, show_variant: bool) -> list[str]:
    """The runs that passed but made a harmful write, one line each (capped)."""
    passes = harmful_passes(report)
    if not passes:
        return []
    lines = [f"### Passed, but with a harmful write ({len(passes)})", ""]
    for entry in passes[:HARMFUL_PASSES_SHOWN]:
        run = entry.run
        parts = [md_code(run.case_id), md_text(run.category)]
        if show_variant:
            parts.append(md_text(variant_label(run.model, run.prompt_version)))
        if entry.total_runs > 1:
            parts.append(f"harmful in {entry.harmful_runs} of {entry.total_runs} runs")
        writes = "; ".join(md_text(write) for write in run.harmful_writes)
        lines.append(f"- {' · '.join(parts)}: {writes}")
    hidden = len(passes) - HARMFUL_PASSES_SHOWN
    if hidden > 0:
        lines.append(f"- … and {hidden} more; the JSON report has them all")
    lines.append("")
    return lines


def _more_note(hidden: int) -> str:
    cases = "case" if hidden == 1 else "cases"
    return f"_… and {hidden} more failing {cases} not shown; the JSON report has them all._\n"


def markdown_report(
    report: Mapping[str, Any],
    *,
    max_chars: int = MAX_CHARS,
    collapse_after: int = COLLAPSE_AFTER,
) -> str:
    """The report as GitHub-flavoured Markdown, at most `max_chars` characters long."""
    variants = read_variants(report)
    overall = overall_stats(report)
    models, versions, seconds = report_meta(report)
    repeat = as_int(report.get("repeat"), 1)
    title = (
        f"## TaskPilot evals · models: {md_text(', '.join(models) or '?')}"
        f" · prompts: {md_text(', '.join(versions) or '?')} · {format_duration(seconds)}"
    )
    runs_word = "runs" if repeat > 1 else "cases"
    summary = (
        f"**{overall.passed} of {overall.runs} {runs_word} passed "
        f"({percent(overall.pass_rate)})**, {overall.failed} failed"
    )
    if overall.harmful is not None:
        summary += (
            f", **{overall.harmful} with a harmful write ({percent(overall.harmful_rate or 0.0)})**"
        )
    datasets = dataset_names(report)
    if datasets:
        summary += f" · datasets: {md_text(', '.join(datasets))}"
    if repeat > 1:
        summary += f" · each case run {repeat} times"
    lines = [title, "", summary, ""]
    if variants:
        runs_header = "Runs" if repeat > 1 else "Cases"
        lines.extend(["### Overall", "", *_overall_table(variants, runs_header, repeat), ""])
        lines.extend(["### Pass rate by category", "", *_category_table(variants), ""])
    lines.extend(_harmful_passes_section(report, show_variant=len(variants) > 1))
    head = "\n".join(lines) + "\n"

    failing = failing_cases(report)
    if not failing:
        return _fit(head + "No failing cases. ✅\n", max_chars)
    show_variant = len(variants) > 1
    collapsed = len(failing) > collapse_after
    section = f"### Failing cases ({len(failing)})\n\n"
    opening = (
        f"<details>\n<summary>Show the {len(failing)} failing cases</summary>\n\n"
        if collapsed
        else ""
    )
    closing = "</details>\n" if collapsed else ""
    budget = max_chars - len(head) - len(section) - len(opening) - len(closing)
    budget -= len(_more_note(len(failing)))
    entries: list[str] = []
    for case in failing:
        entry = _failing_entry(case, show_variant=show_variant)
        if len(entry) > budget:
            break
        entries.append(entry)
        budget -= len(entry)
    hidden = len(failing) - len(entries)
    note = _more_note(hidden) if hidden else ""
    text = head + section + opening + "\n".join(entries) + ("\n" + note if note else "") + closing
    return _fit(text, max_chars)


def _fit(text: str, max_chars: int) -> str:
    """A last guard: cut text that is still too long (only huge category tables get here)."""
    if len(text) <= max_chars:
        return text
    note = "\n\n_… the report was cut here to fit; the JSON report has it all._\n"
    return text[: max(max_chars - len(note), 0)] + note
