# pyright: strict
"""Comparing two eval reports, and `taskpilot eval compare` (through a Typer app of its own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from evals.compare import compare_reports, comparison_exit_code, format_comparison
from taskpilot.cli import build_app
from tests.evals.test_report_markdown import case, report_of


def base_report(model: str = "offline", prompt: str = "v1") -> dict[str, Any]:
    return report_of(
        [
            case("create.a", "create", passed=True, model=model, prompt=prompt),
            case("create.b", "create", passed=False, model=model, prompt=prompt),
            case("list.a", "list", passed=False, model=model, prompt=prompt),
            case("list.gone", "list", passed=True, model=model, prompt=prompt),
        ]
    )


def new_report(model: str = "offline", prompt: str = "v1") -> dict[str, Any]:
    return report_of(
        [
            case(
                "create.a",
                "create",
                passed=False,
                model=model,
                prompt=prompt,
                failures=["call 1: expected create_task, got list_tasks()"],
            ),
            case("create.b", "create", passed=True, model=model, prompt=prompt),
            case("list.a", "list", passed=False, model=model, prompt=prompt),
            case("list.new", "list", passed=True, model=model, prompt=prompt),
        ]
    )


def _ids(outcomes: tuple[Any, ...]) -> list[str]:
    return [outcome.case_id for outcome in outcomes]


def test_sorts_cases_by_what_changed() -> None:
    comparison = compare_reports(base_report(), new_report())
    assert _ids(comparison.regressed) == ["create.a"]
    assert _ids(comparison.improved) == ["create.b"]
    assert _ids(comparison.still_failing) == ["list.a"]
    assert _ids(comparison.added) == ["list.new"]
    assert _ids(comparison.removed) == ["list.gone"]
    assert comparison.regressed[0].failures == ("call 1: expected create_task, got list_tasks()",)
    assert comparison.has_regressions
    assert comparison_exit_code(comparison) == 1


def test_category_deltas() -> None:
    base = report_of([case("c.1", "create", passed=True), case("c.2", "create", passed=False)])
    new = report_of(
        [
            case("c.1", "create", passed=True),
            case("c.2", "create", passed=True),
            case("l.1", "list", passed=True),
        ]
    )
    comparison = compare_reports(base, new)
    deltas = {entry.category: entry.delta for entry in comparison.categories}
    assert deltas == {"create": pytest.approx(0.5), "list": None}
    text = format_comparison(comparison)
    assert "| create | 50.0% (1/2) | 100.0% (2/2) | +50.0 pp |" in text
    assert "| list | — | 100.0% (1/1) | — |" in text


def test_no_regression_exits_zero() -> None:
    comparison = compare_reports(base_report(), base_report())
    assert not comparison.regressed
    assert _ids(comparison.still_failing) == ["create.b", "list.a"]
    assert comparison_exit_code(comparison) == 0
    assert "No regressions." in format_comparison(comparison)


def test_single_variants_are_compared_even_when_their_names_differ() -> None:
    comparison = compare_reports(base_report("offline", "v1"), new_report("gpt", "v2"))
    assert comparison.pairs == (("offline · v1", "gpt · v2"),)
    assert _ids(comparison.regressed) == ["create.a"]


def test_several_variants_are_matched_by_model_and_prompt() -> None:
    base = report_of(base_report("a")["cases"] + base_report("b")["cases"])
    new = report_of(base_report("a")["cases"] + new_report("c")["cases"])
    comparison = compare_reports(base, new)
    assert comparison.pairs == (("a · v1", "a · v1"),)
    assert comparison.base_only_variants == ("b · v1",)
    assert comparison.new_only_variants == ("c · v1",)
    assert not comparison.regressed
    text = format_comparison(comparison)
    assert "Only in base: b · v1 (not compared)" in text
    assert "Only in new: c · v1 (not compared)" in text


def test_a_case_regresses_when_any_of_its_repeats_fails() -> None:
    base = report_of([case("x", "create", passed=True, repeat=k) for k in (1, 2)])
    new = report_of(
        [case("x", "create", passed=True, repeat=1), case("x", "create", passed=False, repeat=2)]
    )
    assert _ids(compare_reports(base, new).regressed) == ["x"]


def test_format_lists_regressions_and_category_changes() -> None:
    text = format_comparison(compare_reports(base_report(), new_report()))
    assert text.startswith("## Eval comparison: 50.0% → 50.0% (±0.0 pp)")
    assert "Regressed: 1 · improved: 1 · still failing: 1 · added: 1 · removed: 1" in text
    assert "### Regressed (1)\n\n- `create.a` (create): `call 1: expected create_task" in text
    assert "### Improved (1)\n\n- `create.b` (create)" in text
    assert "- `list.new` (list, pass)" in text
    assert "- `list.gone` (list, pass)" in text
    assert "| list | 50.0% (1/2) | 50.0% (1/2) | ±0.0 pp |" in text
    assert text.rstrip().endswith("**1 case regressed.**")


def test_format_caps_long_lists() -> None:
    base = report_of([case(f"c.{index}", "create", passed=True) for index in range(60)])
    new = report_of([case(f"c.{index}", "create", passed=False) for index in range(60)])
    text = format_comparison(compare_reports(base, new), max_listed=10)
    assert "- `c.9` (create)" in text
    assert "c.10`" not in text
    assert "- … and 50 more" in text


# The command.

runner = CliRunner()


def _app() -> typer.Typer:
    # The real command tree: `taskpilot eval compare ...`.
    return build_app()


def _write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def test_command_exits_1_on_a_regression_and_writes_markdown(tmp_path: Path) -> None:
    base = _write(tmp_path / "base.json", base_report())
    new = _write(tmp_path / "new.json", new_report())
    out = tmp_path / "out" / "compare.md"
    result = runner.invoke(
        _app(), ["eval", "compare", str(base), str(new), "--markdown-out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert "### Regressed (1)" in result.output
    assert "create.a" in result.output
    assert "create.a" in out.read_text(encoding="utf-8")


def test_command_exits_0_without_a_regression(tmp_path: Path) -> None:
    base = _write(tmp_path / "base.json", base_report())
    result = runner.invoke(_app(), ["eval", "compare", str(base), str(base)])
    assert result.exit_code == 0, result.output
    assert "No regressions." in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        ('{"schema": "other/v1", "cases": []}', "has schema 'other/v1'"),
        ('{"schema": "taskpilot-eval-report/v1"}', "has no list of cases"),
    ],
)
def test_command_reports_bad_files_without_a_traceback(
    tmp_path: Path, content: str | None, message: str
) -> None:
    good = _write(tmp_path / "good.json", base_report())
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    result = runner.invoke(_app(), ["eval", "compare", str(good), str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "the new report" in result.output
    assert message in result.output
