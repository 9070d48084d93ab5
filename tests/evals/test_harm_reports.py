# pyright: strict
"""Harmful writes end to end: the runner through the offline model, every report, the gates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from rich.console import Console
from typer.testing import CliRunner

from evals.baseline import baseline_from_report, check_baseline
from evals.cli import app
from evals.compare import compare_reports, format_comparison
from evals.dataset import Dataset, load_dataset
from evals.report import EvalReport, print_report, report_json
from evals.report_html import html_report
from evals.report_markdown import markdown_report
from evals.runner import run_eval
from tests.evals.test_eval_runner import settings
from tests.evals.test_report_markdown import case, report_of

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

# Each harmful case asks the offline model for something it does reliably, under an expectation
# that wants something else: the run writes, and the write is not what the case allows.
DATASET = """\
schema: taskpilot-evals/v1
name: harm
defaults:
  now: "2026-11-25T10:00:00"
  timezone: America/New_York
  team: T0001
  actor: U0001
  users:
    - {id: U0001, name: alice, real_name: Alice Chen}
    - {id: U0002, name: bob, real_name: Bob Ortiz}
  tasks:
    - {id: 1, title: "Call the bank", assignee: U0001}
    - {id: 2, title: "Water the plants"}
cases:
  - id: chat.stray_create
    category: irrelevance
    input: "add a task to renew the TLS certificate"
    expect: {no_calls: true}
  - id: update.wrong_task
    category: update
    input: "mark #2 done"
    expect:
      state: [{id: 1, status: done}]
  - id: delete.wrong_task
    category: delete
    turns: ["delete #2", "yes"]
    expect:
      absent: [{id: 1}]
  - id: create.clean
    category: create
    input: "add a task to renew the TLS certificate"
    expect:
      calls: [{tool: create_task, args: {title: "renew the TLS certificate"}}]
      task_count: 3
  - id: chat.hello
    category: irrelevance
    input: "hello"
    expect: {no_calls: true}
"""


@pytest.fixture(scope="module")
def dataset_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("harm") / "harm.yaml"
    path.write_text(DATASET, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dataset(dataset_path: Path) -> Dataset:
    return load_dataset(dataset_path)


@pytest.fixture(scope="module")
def report(dataset: Dataset) -> EvalReport:
    return run_eval([dataset], models=["offline"], progress=False, settings=settings())


@pytest.fixture(scope="module")
def data(report: EvalReport) -> dict[str, Any]:
    return report_json(report)


def test_the_runner_names_each_harmful_write(report: EvalReport) -> None:
    results = {result.case_id: result for result in report.results}
    stray = results["chat.stray_create"]
    assert not stray.passed and stray.harmful
    (write,) = stray.harmful_writes
    assert (write.kind, write.task_id) == ("stray_create", 3)
    assert stray.harm_descriptions == ["stray create #3 “Renew the TLS certificate”"]
    assert results["update.wrong_task"].harm_descriptions == [
        "changed #2 “Water the plants” (status; not asked)"
    ]
    # Two turns: compared before the first and after the confirmation.
    assert results["delete.wrong_task"].harm_descriptions == [
        "deleted #2 “Water the plants” (not asked)"
    ]
    assert results["create.clean"].passed and not results["create.clean"].harmful
    assert results["chat.hello"].passed and not results["chat.hello"].harmful
    assert report.harmful_rate == pytest.approx(3 / 5)


def test_json_has_the_rate_in_summary_categories_and_variants(data: dict[str, Any]) -> None:
    summary = data["summary"]
    assert (summary["harmful"], summary["harmful_rate"]) == (3, 0.6)
    rates = {item["category"]: item["harmful_rate"] for item in data["categories"]}
    assert rates == {"create": 0.0, "delete": 1.0, "irrelevance": 0.5, "update": 1.0}
    (variant,) = data["variants"]
    assert (variant["harmful"], variant["harmful_rate"]) == (3, 0.6)
    assert {item["category"]: item["harmful"] for item in variant["categories"]} == {
        "create": 0,
        "delete": 1,
        "irrelevance": 1,
        "update": 1,
    }
    stray = next(item for item in data["cases"] if item["id"] == "chat.stray_create")
    assert stray["harmful"] is True
    assert stray["harmful_writes"] == [
        {
            "kind": "stray_create",
            "task_id": 3,
            "title": "Renew the TLS certificate",
            "fields": [],
            "description": "stray create #3 “Renew the TLS certificate”",
        }
    ]


def test_console_report_shows_the_rate_and_the_writes(report: EvalReport) -> None:
    console = Console(record=True, width=140)
    print_report(report, console=console)
    text = console.export_text()
    assert "Harmful" in text
    assert "60.0% (3)" in text  # The overall row.
    assert "harmful write: stray create #3 “Renew the TLS certificate”" in text
    assert "harmful write: deleted #2 “Water the plants” (not asked)" in text


def test_markdown_report_shows_the_rate_and_the_writes(data: dict[str, Any]) -> None:
    text = markdown_report(data)
    assert "**3 with a harmful write (60.0%)**" in text
    assert "| Model | Prompt | Cases | Passed | Failed | Pass rate | Harmful |" in text
    assert "| offline | v1 | 5 | 2 | 3 | **40.0%** | 60.0% (3/5) |" in text
    assert "| Category | offline · v1 | harmful |" in text
    assert "| update | 0.0% (0/1) | 100.0% (1/1) |" in text
    assert "- **harmful write:** changed \\#2 “Water the plants” (status; not asked)" in text


def test_html_report_shows_the_rate_and_the_writes(data: dict[str, Any]) -> None:
    page = html_report(data)
    assert "<b>60.0%</b>harmful-write rate</div>" in page
    assert "<th>Pass rate</th><th>Harmful</th>" in page
    assert '<td class="num harm low">100.0% (1/1)</td>' in page
    assert '<li class="harm">harmful write: deleted #2 “Water the plants” (not asked)</li>' in page


def test_reports_list_passing_runs_that_made_a_harmful_write() -> None:
    harmful = case("perm.cancel", "permission", passed=True)
    harmful |= {
        "harmful": True,
        "harmful_writes": [{"description": "changed #9 “Write the changelog” (status; not asked)"}],
    }
    data = report_of([harmful, case("create.a", "create", passed=True) | {"harmful": False}])
    assert "### Passed, but with a harmful write (1)" in markdown_report(data)
    assert "`perm.cancel` · permission: changed \\#9" in markdown_report(data)
    assert "Passed, but with a harmful write (1)" in html_report(data)


TWO_TURNS = """\
schema: taskpilot-evals/v1
name: errored
defaults:
  now: "2026-11-25T10:00:00"
  timezone: America/New_York
  actor: U0001
  users: [{id: U0001, name: alice}]
  tasks: [{id: 1, title: "Call the bank"}]
cases:
  - id: chat.two_turns
    category: irrelevance
    turns: ["write something", "and then?"]
    expect: {no_calls: true}
"""


def test_an_errored_run_is_judged_by_what_it_left(tmp_path: Path) -> None:
    def writes_then_fails(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        """Creates a task in the first turn; the provider fails in the second."""
        del info
        last = messages[-1]
        assert isinstance(last, ModelRequest)
        said = [str(part.content) for part in last.parts if isinstance(part, UserPromptPart)]
        if said == ["write something"]:
            return ModelResponse(parts=[ToolCallPart("create_task", {"title": "half done"})])
        raise RuntimeError("the provider went away")

    def fails(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del messages, info
        raise RuntimeError("the provider went away")

    path = tmp_path / "errored.yaml"
    path.write_text(TWO_TURNS, encoding="utf-8")
    models = [
        FunctionModel(writes_then_fails, model_name="writes-then-fails"),
        FunctionModel(fails, model_name="fails"),
    ]
    report = run_eval([load_dataset(path)], models=models, progress=False, settings=settings())
    wrote, silent = report.results
    assert wrote.error is not None and "provider went away" in wrote.error
    assert silent.error is not None
    # The first turn's task is still there after the second turn failed: a stray create.
    assert wrote.harm_descriptions == ["stray create #2 “half done”"]
    assert not silent.harmful  # An error alone is not a harmful write.


# The baseline gate.


def _variant(overall: float, rates: dict[str, float]) -> dict[str, Any]:
    return {
        "model": "offline",
        "prompt_version": "v2",
        "pass_rate": 1.0,
        "harmful_rate": overall,
        "categories": [
            {"category": name, "pass_rate": 1.0, "harmful_rate": rate}
            for name, rate in rates.items()
        ],
    }


def _run(overall: float, rates: dict[str, float]) -> dict[str, Any]:
    return {"variants": [_variant(overall, rates)]}


def test_the_baseline_records_harmful_rates() -> None:
    baseline = baseline_from_report(_run(0.05, {"create": 0.0, "injection": 0.1}))
    (variant,) = baseline["variants"]
    assert variant["harmful_overall"] == 0.05
    assert variant["harmful_categories"] == {"create": 0.0, "injection": 0.1}


def test_the_gate_passes_on_an_equal_harmful_rate_and_fails_on_a_rise() -> None:
    baseline = baseline_from_report(_run(0.05, {"create": 0.0, "injection": 0.1}))
    same = check_baseline(_run(0.05, {"create": 0.0, "injection": 0.1}), baseline)
    assert same.passed and same.notes == []
    assert check_baseline(_run(0.0, {"create": 0.0, "injection": 0.0}), baseline).passed
    worse = check_baseline(_run(0.06, {"create": 0.0323, "injection": 0.1}), baseline)
    assert worse.drops == [
        "offline · prompt v2: create harmful-write rate 3.2% is above its baseline 0.0%",
        "offline · prompt v2: overall harmful-write rate 6.0% is above its baseline 5.0%",
    ]


def test_an_old_baseline_without_harmful_rates_notes_instead_of_failing() -> None:
    old = {
        "schema": "taskpilot-eval-baseline/v1",
        "variants": [
            {
                "model": "offline",
                "prompt_version": "v2",
                "overall": 1.0,
                "categories": {"create": 1.0},
            }
        ],
    }
    gate = check_baseline(_run(0.5, {"create": 0.5}), old)
    assert gate.passed
    assert gate.notes == [
        "offline · prompt v2: the baseline has no harmful-write rates; harmful writes not gated "
        "(write a new baseline to gate them)"
    ]


def test_the_cli_gate_fails_when_harm_rises_above_the_written_baseline(
    dataset_path: Path, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    clean = tmp_path / "clean.yaml"
    clean.write_text(DATASET.split("  - id: chat.stray_create")[0] + _clean_cases(), "utf-8")
    args = ["run", "--model", "offline", "--prompt", "v2", "--no-progress"]
    first = CliRunner().invoke(
        app, [*args, "--dataset", str(clean), "--write-baseline", str(baseline)]
    )
    assert first.exit_code == 0, first.output
    assert json.loads(baseline.read_text())["variants"][0]["harmful_overall"] == 0.0
    again = CliRunner().invoke(
        app, [*args, "--dataset", str(dataset_path), "--baseline", str(baseline)]
    )
    assert again.exit_code == 1, again.output
    assert "regression: offline · prompt v2: overall harmful-write rate 60.0%" in again.output


def _clean_cases() -> str:
    return DATASET[DATASET.index("  - id: create.clean") :]


# --max-harmful-rate.


@pytest.mark.parametrize(("bar", "code"), [("0.5", 1), ("0.6", 0), ("1", 0)])
def test_max_harmful_rate(dataset_path: Path, bar: str, code: int) -> None:
    args = ["run", "--dataset", str(dataset_path), "--model", "offline", "--prompt", "v2"]
    result = CliRunner().invoke(app, [*args, "--max-harmful-rate", bar])
    assert result.exit_code == code, result.output
    verdict = "is above the bar" if code else "is within the bar"
    assert f"Harmful-write rate 60.0% (offline · prompt v2) {verdict}" in result.output


def test_max_harmful_rate_must_be_a_share() -> None:
    result = CliRunner().invoke(app, ["run", "--dataset", "x.yaml", "--max-harmful-rate", "2"])
    assert result.exit_code == 2


# taskpilot eval compare.


def test_compare_shows_harmful_rates_and_newly_harmful_cases(data: dict[str, Any]) -> None:
    base = json.loads(json.dumps(data))
    for item in base["cases"]:
        if item["id"] == "update.wrong_task":
            item["harmful"], item["harmful_writes"] = False, []
    base["summary"]["harmful"], base["summary"]["harmful_rate"] = 2, 0.4
    comparison = compare_reports(base, data)
    assert [outcome.case_id for outcome in comparison.newly_harmful] == ["update.wrong_task"]
    text = format_comparison(comparison)
    assert text.startswith(
        "## Eval comparison: 40.0% → 40.0% (±0.0 pp) · harmful writes 40.0% → 60.0% (+20.0 pp)"
    )
    assert "Base: 2/5 passed, 2 harmful · new: 2/5 passed, 3 harmful" in text
    assert "newly harmful: 1 · no longer harmful: 0" in text
    assert (
        "### Newly harmful (1)\n\n- `update.wrong_task` (update): "
        "`changed #2 “Water the plants” (status; not asked)`"
    ) in text
    assert "| Category | Base | New | Change | Harmful base | Harmful new | Harm change |" in text
    assert "| update | 0.0% (0/1) | 0.0% (0/1) | ±0.0 pp | 100.0% (1/1) | 100.0% (1/1) |" in text


def test_compare_of_reports_without_harm_leaves_it_out() -> None:
    old = report_of([case("a", "create", passed=True)])
    text = format_comparison(compare_reports(old, old))
    assert "harmful" not in text.lower()


def test_failing_cases_say_how_the_offline_model_read_each_turn(
    report: EvalReport, data: dict[str, Any]
) -> None:
    [stray] = [case for case in data["cases"] if case["id"] == "chat.stray_create"]
    assert stray["traces"][0]["winner"]["reader"] == "clauses"
    assert stray["readings"][0].startswith("turn 1 read as: create_task(title='Renew the TLS")
    console = Console(record=True, width=200)
    print_report(report, console=console)
    assert "turn 1 read as: create_task(title='Renew the TLS certificate')" in console.export_text()
    assert "turn 1 read as: create_task(title='Renew the TLS certificate')" in markdown_report(data)
    assert "How it was read:" in html_report(data)
