"""Compare two eval reports (`taskpilot-eval-report/v1`): what regressed, what improved.

Variants (model × prompt version) are matched by model and prompt version; when each report
has exactly one variant, those two are compared whatever their names, so a report of a new
model or prompt can be compared with the old one. Within a pair of variants, cases are matched
by id. A case passes when every run of it passed (so with `--repeat K` all K runs).

- regressed: passed in the base report, fails in the new one;
- improved: failed in the base report, passes in the new one;
- still failing: fails in both;
- added / removed: only in the new / only in the base report.

Beside the pass rates it compares the harmful-write rates (see `evals.harm`), overall and per
category, and lists the cases that made a harmful write in the new report but not in the base
one ("newly harmful"), with what they wrote. Reports written before harmful writes were judged
show an em dash there. A case is harmful when any of its runs made a harmful write.

`comparison_exit_code` is 1 when anything regressed and 0 otherwise; harmful writes are gated
by `taskpilot eval run` (`--baseline`, `--max-harmful-rate`), not here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from evals.report_markdown import (
    CaseRun,
    Stats,
    Variant,
    harm_cell,
    md_code,
    overall_stats,
    percent,
    rate_cell,
    read_cases,
    read_variants,
)

EXIT_REGRESSED: Final = 1
MAX_LISTED: Final = 50


@dataclass(frozen=True)
class CaseOutcome:
    """One case of one pair of variants: whether it passed in each report."""

    case_id: str
    category: str
    variant: str
    base_passed: bool | None
    new_passed: bool | None
    failures: tuple[str, ...] = ()
    """The reasons of the first failed run: of the new report, or the base one if removed."""
    base_harmful: bool | None = None
    """Whether any run of the base report made a harmful write; None when not judged there."""
    new_harmful: bool | None = None
    """The same for the new report."""
    harmful_writes: tuple[str, ...] = ()
    """The harmful writes of the first harmful run of the new report."""


@dataclass(frozen=True)
class CategoryDelta:
    """A category's pass rate in each report, for one pair of variants."""

    variant: str
    category: str
    base: Stats | None
    new: Stats | None

    @property
    def delta(self) -> float | None:
        """The change of pass rate (new − base), or None when one side has no runs."""
        if self.base is None or self.new is None or not self.base.runs or not self.new.runs:
            return None
        return self.new.pass_rate - self.base.pass_rate

    @property
    def harm_delta(self) -> float | None:
        """The change of harmful-write rate (new − base), or None when a side lacks it."""
        return harm_delta(self.base, self.new)


def harm_delta(base: Stats | None, new: Stats | None) -> float | None:
    """new − base harmful-write rate, or None when a side has no runs or did not count them."""
    if base is None or new is None or not base.runs or not new.runs:
        return None
    if base.harmful_rate is None or new.harmful_rate is None:
        return None
    return new.harmful_rate - base.harmful_rate


@dataclass(frozen=True)
class Comparison:
    """What changed from the base report to the new one."""

    pairs: tuple[tuple[str, str], ...]
    """(base variant, new variant) labels of the variants compared."""
    base_only_variants: tuple[str, ...]
    new_only_variants: tuple[str, ...]
    base_overall: Stats
    new_overall: Stats
    regressed: tuple[CaseOutcome, ...]
    improved: tuple[CaseOutcome, ...]
    still_failing: tuple[CaseOutcome, ...]
    added: tuple[CaseOutcome, ...]
    removed: tuple[CaseOutcome, ...]
    categories: tuple[CategoryDelta, ...]
    newly_harmful: tuple[CaseOutcome, ...] = ()
    """Cases in both reports that made a harmful write in the new one and none in the base."""
    no_longer_harmful: tuple[CaseOutcome, ...] = ()
    """Cases in both reports that made a harmful write in the base one and none in the new."""

    @property
    def has_regressions(self) -> bool:
        """Whether any case that passed in the base report fails in the new one."""
        return bool(self.regressed)


@dataclass(frozen=True)
class _CaseState:
    category: str
    passed: bool
    failures: tuple[str, ...]
    harmful: bool | None = None
    harmful_writes: tuple[str, ...] = ()


def _case_states(runs: Sequence[CaseRun]) -> dict[str, _CaseState]:
    """Per case id, in report order: passed only when every run passed, harmful when any was."""
    states: dict[str, _CaseState] = {}
    for run in runs:
        reasons = run.failures + ((f"error: {run.error}",) if run.error else ())
        previous = states.get(run.case_id)
        if previous is None:
            states[run.case_id] = _CaseState(
                run.category,
                run.passed,
                () if run.passed else reasons,
                run.harmful,
                run.harmful_writes,
            )
            continue
        state = previous
        if previous.passed and not run.passed:
            state = _CaseState(
                previous.category, False, reasons, previous.harmful, previous.harmful_writes
            )
        harmful = _any_harm(state.harmful, run.harmful)
        writes = state.harmful_writes or run.harmful_writes
        states[run.case_id] = _CaseState(
            state.category, state.passed, state.failures, harmful, writes
        )
    return states


def _any_harm(first: bool | None, second: bool | None) -> bool | None:
    """True when either run was harmful; None when neither says and one was not judged."""
    if first or second:
        return True
    if first is None or second is None:
        return None
    return False


def _pair_variants(
    base: Sequence[Variant], new: Sequence[Variant]
) -> tuple[list[tuple[Variant, Variant]], list[Variant], list[Variant]]:
    if len(base) == 1 and len(new) == 1:
        return [(base[0], new[0])], [], []
    new_by_key = {variant.key: variant for variant in new}
    pairs = [(variant, new_by_key[variant.key]) for variant in base if variant.key in new_by_key]
    paired = {variant.key for variant, _ in pairs}
    return (
        pairs,
        [variant for variant in base if variant.key not in paired],
        [variant for variant in new if variant.key not in paired],
    )


def _pair_label(base: Variant, new: Variant) -> str:
    return new.label if base.key == new.key else f"{base.label} → {new.label}"


def compare_reports(base: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """Match the variants and the cases of two reports and sort the cases by what changed."""
    base_variants, new_variants = read_variants(base), read_variants(new)
    pairs, base_only, new_only = _pair_variants(base_variants, new_variants)
    base_cases, new_cases = read_cases(base), read_cases(new)
    regressed: list[CaseOutcome] = []
    improved: list[CaseOutcome] = []
    still_failing: list[CaseOutcome] = []
    added: list[CaseOutcome] = []
    removed: list[CaseOutcome] = []
    categories: list[CategoryDelta] = []
    newly_harmful: list[CaseOutcome] = []
    no_longer_harmful: list[CaseOutcome] = []
    for base_variant, new_variant in pairs:
        label = _pair_label(base_variant, new_variant)
        before = _case_states([run for run in base_cases if run.variant_key == base_variant.key])
        after = _case_states([run for run in new_cases if run.variant_key == new_variant.key])
        for case_id, state in after.items():
            old = before.get(case_id)
            outcome = CaseOutcome(
                case_id=case_id,
                category=state.category,
                variant=label,
                base_passed=None if old is None else old.passed,
                new_passed=state.passed,
                failures=state.failures,
                base_harmful=None if old is None else old.harmful,
                new_harmful=state.harmful,
                harmful_writes=state.harmful_writes,
            )
            if old is not None and old.harmful is False and state.harmful:
                newly_harmful.append(outcome)
            if old is not None and old.harmful and state.harmful is False:
                no_longer_harmful.append(outcome)
            if old is None:
                added.append(outcome)
            elif old.passed and not state.passed:
                regressed.append(outcome)
            elif not old.passed and state.passed:
                improved.append(outcome)
            elif not old.passed:
                still_failing.append(outcome)
        removed.extend(
            CaseOutcome(case_id, state.category, label, state.passed, None, state.failures)
            for case_id, state in before.items()
            if case_id not in after
        )
        names = sorted(set(base_variant.categories) | set(new_variant.categories))
        categories.extend(
            CategoryDelta(
                label,
                name,
                base_variant.categories.get(name),
                new_variant.categories.get(name),
            )
            for name in names
        )
    return Comparison(
        pairs=tuple((b.label, n.label) for b, n in pairs),
        base_only_variants=tuple(variant.label for variant in base_only),
        new_only_variants=tuple(variant.label for variant in new_only),
        base_overall=overall_stats(base),
        new_overall=overall_stats(new),
        regressed=tuple(regressed),
        improved=tuple(improved),
        still_failing=tuple(still_failing),
        added=tuple(added),
        removed=tuple(removed),
        categories=tuple(categories),
        newly_harmful=tuple(newly_harmful),
        no_longer_harmful=tuple(no_longer_harmful),
    )


def comparison_exit_code(comparison: Comparison) -> int:
    """1 when any case regressed, else 0."""
    return EXIT_REGRESSED if comparison.has_regressions else 0


def format_delta(delta: float | None) -> str:
    """`+8.3 pp`, `−4.0 pp`, `±0.0 pp`, or an em dash."""
    if delta is None:
        return "—"
    points = delta * 100
    if abs(points) < 0.05:
        return "±0.0 pp"
    return f"+{points:.1f} pp" if points > 0 else f"−{abs(points):.1f} pp"


def _harm_rate(stats: Stats) -> str:
    rate = stats.harmful_rate
    return "—" if rate is None or not stats.runs else percent(rate)


def _status(passed: bool | None) -> str:
    return "—" if passed is None else ("pass" if passed else "fail")


def _outcome_line(
    outcome: CaseOutcome, *, show_variant: bool, show_status: bool, show_harm: bool = False
) -> str:
    details = [outcome.category]
    if show_variant:
        details.append(outcome.variant)
    if show_status:
        details.append(
            _status(outcome.new_passed if outcome.new_passed is not None else outcome.base_passed)
        )
    line = f"- {md_code(outcome.case_id)} ({', '.join(details)})"
    if show_harm:
        return line + f": {'; '.join(md_code(write) for write in outcome.harmful_writes)}"
    if outcome.failures and outcome.new_passed is False:
        line += f": {md_code(outcome.failures[0])}"
        if len(outcome.failures) > 1:
            line += f" (+{len(outcome.failures) - 1} more)"
    return line


def _harmful_count(stats: Stats) -> str:
    return "?" if stats.harmful is None else str(stats.harmful)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _section(
    title: str,
    outcomes: Sequence[CaseOutcome],
    *,
    show_variant: bool,
    show_status: bool = False,
    show_harm: bool = False,
    max_listed: int,
) -> list[str]:
    if not outcomes:
        return []
    lines = [f"### {title} ({len(outcomes)})", ""]
    lines.extend(
        _outcome_line(
            outcome, show_variant=show_variant, show_status=show_status, show_harm=show_harm
        )
        for outcome in outcomes[:max_listed]
    )
    hidden = len(outcomes) - max_listed
    if hidden > 0:
        lines.append(f"- … and {hidden} more")
    lines.append("")
    return lines


def format_comparison(comparison: Comparison, *, max_listed: int = MAX_LISTED) -> str:
    """The comparison as Markdown that also reads as plain text."""
    base, new = comparison.base_overall, comparison.new_overall
    delta = format_delta(new.pass_rate - base.pass_rate if base.runs and new.runs else None)
    title = f"## Eval comparison: {percent(base.pass_rate)} → {percent(new.pass_rate)} ({delta})"
    counted = base.harmful is not None or new.harmful is not None
    if counted:
        title += (
            f" · harmful writes {_harm_rate(base)} → {_harm_rate(new)} "
            f"({format_delta(harm_delta(base, new))})"
        )
    totals = f"Base: {base.passed}/{base.runs} passed · new: {new.passed}/{new.runs} passed"
    if counted:
        totals = (
            f"Base: {base.passed}/{base.runs} passed, {_harmful_count(base)} harmful · "
            f"new: {new.passed}/{new.runs} passed, {_harmful_count(new)} harmful"
        )
    lines = [title, "", totals]
    for base_label, new_label in comparison.pairs:
        same = base_label == new_label
        lines.append(f"Variant: {new_label}" if same else f"Variant: {base_label} → {new_label}")
    if comparison.base_only_variants:
        lines.append(f"Only in base: {', '.join(comparison.base_only_variants)} (not compared)")
    if comparison.new_only_variants:
        lines.append(f"Only in new: {', '.join(comparison.new_only_variants)} (not compared)")
    lines += [
        "",
        f"Regressed: {len(comparison.regressed)} · improved: {len(comparison.improved)} · "
        f"still failing: {len(comparison.still_failing)} · added: {len(comparison.added)} · "
        f"removed: {len(comparison.removed)}"
        + (
            f" · newly harmful: {len(comparison.newly_harmful)} · "
            f"no longer harmful: {len(comparison.no_longer_harmful)}"
            if counted
            else ""
        ),
        "",
    ]
    show_variant = len(comparison.pairs) > 1
    lines += _section(
        "Regressed", comparison.regressed, show_variant=show_variant, max_listed=max_listed
    )
    lines += _section(
        "Newly harmful",
        comparison.newly_harmful,
        show_variant=show_variant,
        show_harm=True,
        max_listed=max_listed,
    )
    lines += _section(
        "Improved", comparison.improved, show_variant=show_variant, max_listed=max_listed
    )
    lines += _section(
        "Still failing",
        comparison.still_failing,
        show_variant=show_variant,
        max_listed=max_listed,
    )
    lines += _section(
        "Added",
        comparison.added,
        show_variant=show_variant,
        show_status=True,
        max_listed=max_listed,
    )
    lines += _section(
        "Removed",
        comparison.removed,
        show_variant=show_variant,
        show_status=True,
        max_listed=max_listed,
    )
    if comparison.categories:
        harm = counted or any(
            stats is not None and stats.harmful is not None
            for entry in comparison.categories
            for stats in (entry.base, entry.new)
        )
        header = ["Category", "Base", "New", "Change"]
        if harm:
            header += ["Harmful base", "Harmful new", "Harm change"]
        if show_variant:
            header.insert(0, "Variant")
        numeric = 6 if harm else 3
        lines += [
            "### Pass rate by category" + (" (and harmful-write rate)" if harm else ""),
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * (len(header) - numeric) + "---:|" * numeric,
        ]
        for entry in comparison.categories:
            row = [_cell(entry.category), rate_cell(entry.base), rate_cell(entry.new)]
            row.append(format_delta(entry.delta))
            if harm:
                row += [harm_cell(entry.base), harm_cell(entry.new)]
                row.append(format_delta(entry.harm_delta))
            if show_variant:
                row.insert(0, _cell(entry.variant))
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    count = len(comparison.regressed)
    lines.append(
        f"**{count} case{'s' if count != 1 else ''} regressed.**" if count else "No regressions."
    )
    return "\n".join(lines) + "\n"
