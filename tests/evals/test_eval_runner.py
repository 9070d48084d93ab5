# pyright: strict
"""The runner, the report and the CLI, driven by a scripted pydantic-ai `FunctionModel`."""

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
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from rich.console import Console
from typer.testing import CliRunner

import agent.assembly
from core.settings import Settings
from evals.cli import app
from evals.dataset import Dataset, load_dataset
from evals.report import REPORT_SCHEMA, print_report, report_json, write_json
from evals.runner import EvalSetupError, build_case_runtime, run_case_sync, run_eval

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

DATASET = """\
schema: taskpilot-evals/v1
name: scripted
defaults:
  now: "2026-11-25T10:00:00"
  timezone: America/New_York
  team: T0001
  actor: U0001
  users:
    - {id: U0001, name: alice, real_name: Alice Chen}
    - {id: U0002, name: bob, real_name: Bob Ortiz}
cases:
  - id: create.tls
    category: create
    input: "add a task to renew the TLS certificate"
    expect:
      calls: [{tool: create_task, args: {title: "renew the TLS certificate"}}]
      state: [{title: "renew the TLS certificate", status: open, creator: me, assignee: null}]
      task_count: 1
  - id: create.deck
    category: create
    input: "remind bob to send the Q3 deck by friday"
    expect:
      calls:
        - tool: create_task
          args: {title: "send the Q3 deck", assignee: U0002, due: 2026-11-27}
      state: [{title: "send Q3 deck", assignee: bob, due: 2026-11-27}]
  - id: update.done
    category: update
    input: "mark #7 done"
    tasks:
      - {id: 7, title: "Call the bank", assignee: U0001, due: "2026-11-26T15:00", tags: [bank]}
      - {id: 8, title: "Water the plants", creator: U0002}
    expect:
      calls: [{tool: update_task, args: {task_id: 7, status: done}}]
      state:
        - {id: 7, status: done, due: "2026-11-26T15:00", tags: [bank]}
        - {id: 8, creator: bob, status: open}
  - id: delete.confirmed
    category: delete
    turns: ["delete #7", "yes"]
    tasks: [{id: 7, title: "Call the bank"}]
    expect:
      calls: [{tool: delete_task, args: {task_id: 7}}]
      absent: [{id: 7}]
      task_count: 0
  - id: chat.hello
    category: chat
    input: "hello"
    expect: {no_calls: true}
  - id: chat.wrong
    category: chat
    input: "hello again"
    expect:
      calls: [{tool: list_tasks, args: {assignee: me}}]
  - id: crash
    category: chat
    input: "boom"
    expect: {no_calls: true}
"""

# What the scripted model does with each message; anything else gets a short reply.
PLANS: dict[str, tuple[str, dict[str, Any]]] = {
    "add a task to renew the TLS certificate": ("create_task", {"title": "Renew TLS certificate"}),
    "remind bob to send the Q3 deck by friday": (
        "create_task",
        {"title": "Send the Q3 deck", "assignee": "bob", "due": "friday"},
    ),
    "mark #7 done": ("update_task", {"task_id": "#7", "status": "done"}),
    "delete #7": ("delete_task", {"task_id": 7}),
}


def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Plan a tool call for a known message; after a tool returned, say so."""
    del info
    last = messages[-1]
    assert isinstance(last, ModelRequest)
    if any(isinstance(part, ToolReturnPart) for part in last.parts):
        return ModelResponse(parts=[TextPart("Done.")])
    prompts = [part.content for part in last.parts if isinstance(part, UserPromptPart)]
    text = str(prompts[-1]) if prompts else ""
    if text == "boom":
        raise RuntimeError("the model fell over")
    if text in PLANS:
        tool, args = PLANS[text]
        return ModelResponse(parts=[ToolCallPart(tool, args)])
    return ModelResponse(parts=[TextPart("Hi! What should I do?")])


def scripted() -> FunctionModel:
    return FunctionModel(respond, model_name="scripted")


@pytest.fixture
def dataset(tmp_path: Path) -> Dataset:
    path = tmp_path / "scripted.yaml"
    path.write_text(DATASET, encoding="utf-8")
    return load_dataset(path)


def settings() -> Settings:
    return Settings.model_validate({"TASKPILOT_PROMPT_VERSION": "v1"})


def test_run_eval_scores_every_case_and_survives_a_crash(dataset: Dataset) -> None:
    report = run_eval(
        [dataset], models=[scripted()], progress=False, settings=settings(), concurrency=3
    )
    results = {result.case_id: result for result in report.results}
    # The results keep the dataset's order, whatever the concurrency.
    assert list(results) == [case.id for case in dataset.cases]
    passed = {case_id for case_id, result in results.items() if result.passed}
    assert passed == {"create.tls", "create.deck", "update.done", "delete.confirmed", "chat.hello"}

    wrong = results["chat.wrong"]
    assert wrong.failures == ["call 1: missing list_tasks call (the model made 0 calls)"]
    assert wrong.error is None

    crash = results["crash"]
    assert not crash.passed
    assert crash.error is not None
    assert "the model fell over" in crash.error
    assert crash.failures == [f"error: {crash.error}"]

    tls = results["create.tls"]
    assert (tls.model, tls.prompt_version, tls.dataset, tls.category) == (
        "scripted",
        "v1",
        "scripted",
        "create",
    )
    # One call: the reply to a single write is rendered from its result, not by the model.
    assert tls.model_requests == 1
    assert tls.replies == ["Created #1 “Renew TLS certificate”."]
    assert [call.tool for call in tls.actual_calls] == ["create_task"]
    assert tls.latency_s > 0

    # The confirmed execution of the delete is not counted as a second call.
    deleted = results["delete.confirmed"]
    assert [call.tool for call in deleted.actual_calls] == ["delete_task"]
    assert len(deleted.replies) == 2

    assert report.stats.runs == 7
    assert report.stats.passed == 5
    assert report.pass_rate == pytest.approx(5 / 7)


def test_run_case_alone(dataset: Dataset) -> None:
    case = dataset.cases[2]
    runtime = build_case_runtime(model=scripted(), prompt_version=None, settings=settings())
    result = run_case_sync(case, model="scripted", prompt_version=None, runtime=runtime)
    assert result.passed, result.failures
    assert [check.kind for check in result.checks] == ["call", "state", "state"]


def test_repeat_runs_each_case_k_times(dataset: Dataset) -> None:
    report = run_eval([dataset], models=[scripted()], repeat=2, progress=False, settings=settings())
    assert len(report.results) == 14
    assert [result.repeat for result in report.results[:4]] == [1, 2, 1, 2]
    console = Console(record=True, width=120)
    print_report(report, console=console)
    text = console.export_text()
    assert "Runs" in text
    assert "chat.wrong (failed 2 of 2 runs)" in text


def test_an_unknown_prompt_version_stops_before_running(dataset: Dataset) -> None:
    with pytest.raises(EvalSetupError, match="v999"):
        run_eval([dataset], models=[scripted()], prompt_versions=["v999"], progress=False)


def test_json_report_schema(dataset: Dataset, tmp_path: Path) -> None:
    report = run_eval([dataset], models=[scripted()], progress=False, settings=settings())
    path = write_json(report, tmp_path / "out" / "report.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == report_json(report)
    assert data["schema"] == REPORT_SCHEMA
    assert set(data) == {
        "schema",
        "started_at",
        "finished_at",
        "duration_s",
        "datasets",
        "models",
        "prompt_versions",
        "repeat",
        "summary",
        "categories",
        "variants",
        "cases",
    }
    # A dataset outside the working folder is named by its file alone: no machine's folders.
    assert data["datasets"] == [{"name": "scripted", "path": "scripted.yaml", "cases": 7}]
    assert data["models"] == ["scripted"]
    assert data["prompt_versions"] == ["v1"]
    summary = data["summary"]
    keys = ("runs", "passed", "failed", "pass_rate", "harmful", "harmful_rate", "cached")
    assert {k: summary[k] for k in keys} == {
        "runs": 7,
        "passed": 5,
        "failed": 2,
        "pass_rate": 0.7143,
        "harmful": 0,
        "harmful_rate": 0.0,
        "cached": 0,
    }
    assert summary["model_requests"] == sum(case["model_requests"] for case in data["cases"])
    assert summary["tokens"] == sum(case["tokens"] for case in data["cases"]) > 0
    no_harm = {"harmful": 0, "harmful_rate": 0.0}
    assert data["categories"] == [
        {"category": "chat", "runs": 3, "passed": 1, "pass_rate": 0.3333, **no_harm}
        | {"pass_hat_k": 0.3333},
        {"category": "create", "runs": 2, "passed": 2, "pass_rate": 1.0, **no_harm}
        | {"pass_hat_k": 1.0},
        {"category": "delete", "runs": 1, "passed": 1, "pass_rate": 1.0, **no_harm}
        | {"pass_hat_k": 1.0},
        {"category": "update", "runs": 1, "passed": 1, "pass_rate": 1.0, **no_harm}
        | {"pass_hat_k": 1.0},
    ]
    (variant,) = data["variants"]
    assert (variant["model"], variant["prompt_version"], variant["runs"]) == ("scripted", "v1", 7)
    deck = data["cases"][1]
    assert set(deck) == {
        "id",
        "dataset",
        "category",
        "model",
        "prompt_version",
        "repeat",
        "passed",
        "failures",
        "error",
        "harmful",
        "harmful_writes",
        "checks",
        "calls",
        "replies",
        "traces",
        "readings",
        "model_requests",
        "tokens",
        "latency_s",
        "cached",
    }
    # Only the offline model explains how it read a message; a scripted model has no trace.
    assert deck["traces"] == [] and deck["readings"] == []
    assert deck["calls"]["expected"] == [
        {
            "tool": "create_task",
            "args": {"title": "send the Q3 deck", "assignee": "U0002", "due": "2026-11-27"},
        }
    ]
    assert deck["calls"]["actual"] == [
        {
            "tool": "create_task",
            "args": {"title": "Send the Q3 deck", "assignee": "bob", "due": "friday"},
            "ok": True,
        }
    ]
    assert data["cases"][5]["failures"] == [
        "call 1: missing list_tasks call (the model made 0 calls)"
    ]


def test_printed_report_shows_categories_and_failing_cases(dataset: Dataset) -> None:
    report = run_eval([dataset], models=[scripted()], progress=False, settings=settings())
    console = Console(record=True, width=120)
    print_report(report, console=console, max_failures=1)
    text = console.export_text()
    assert "model scripted · prompt v1" in text
    assert "overall" in text
    assert "71.4%" in text
    assert "Failing cases (2):" in text
    assert "chat.wrong" in text
    assert "call 1: missing list_tasks call" in text
    assert "… and 1 more failing case" in text


# The CLI, with the scripted model in place of whatever --model names.


@pytest.fixture
def scripted_cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    real = agent.assembly.build_runtime

    def build(
        *, settings: Settings, model: object = None, prompt_version: str | None = None
    ) -> agent.assembly.AgentRuntime:
        del model
        return real(settings=settings, model=scripted(), prompt_version=prompt_version)

    monkeypatch.setattr(agent.assembly, "build_runtime", build)
    return CliRunner()


def dataset_file(tmp_path: Path, *, drop: tuple[str, ...] = ()) -> Path:
    text = DATASET
    for case_id in drop:
        start = text.index(f"  - id: {case_id}\n")
        end = text.find("\n  - id: ", start + 1)
        text = text[:start] + (text[end + 1 :] if end != -1 else "")
    path = tmp_path / "scripted.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_run_meets_the_bar(scripted_cli: CliRunner, tmp_path: Path) -> None:
    path = dataset_file(tmp_path, drop=("chat.wrong", "crash"))
    out = tmp_path / "report.json"
    args = ["run", "--dataset", str(tmp_path), "--json-out", str(out), "--min-pass-rate", "1"]
    result = scripted_cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Pass rate 100.0% meets the bar of 100.0%." in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["datasets"][0]["path"] == path.name


def test_cli_run_below_the_bar_exits_1(scripted_cli: CliRunner, tmp_path: Path) -> None:
    path = dataset_file(tmp_path)
    args = ["run", "--dataset", str(path), "--min-pass-rate", "0.8", "--no-progress"]
    result = scripted_cli.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "Pass rate 71.4% is below the bar of 80.0%." in result.output
    assert "chat.wrong" in result.output


def test_cli_run_without_a_bar_exits_0(scripted_cli: CliRunner, tmp_path: Path) -> None:
    result = scripted_cli.invoke(app, ["run", "--dataset", str(dataset_file(tmp_path))])
    assert result.exit_code == 0, result.output


def test_cli_run_with_a_malformed_dataset_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(DATASET.replace("tool: update_task", "tool: finish_task"), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", "--dataset", str(path)])
    assert result.exit_code == 2
    assert f"{path}: update.done: expect.calls[0]: unknown tool `finish_task`" in result.output
    assert "Traceback" not in result.output


def test_cli_run_with_an_unknown_prompt_exits_2(tmp_path: Path) -> None:
    path = dataset_file(tmp_path)
    result = CliRunner().invoke(app, ["run", "--dataset", str(path), "--prompt", "v999"])
    assert result.exit_code == 2
    assert "v999" in result.output


def test_cli_run_needs_a_dataset() -> None:
    assert CliRunner().invoke(app, ["run"]).exit_code == 2


def test_cli_lint(tmp_path: Path) -> None:
    good = dataset_file(tmp_path)
    result = CliRunner().invoke(app, ["lint", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 dataset file, 7 cases: no problems." in result.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(DATASET.replace("category: update", "category: update\n    inptu: x"), "utf-8")
    result = CliRunner().invoke(app, ["lint", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: update.done: unknown key `inptu`" in result.output


def test_report_paths_are_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evals.runner import shown_path

    monkeypatch.chdir(tmp_path)
    inside = tmp_path / "evals" / "holdout" / "blind7.yaml"
    assert shown_path(str(inside)) == "evals/holdout/blind7.yaml"
    assert shown_path("evals/holdout/blind7.yaml") == "evals/holdout/blind7.yaml"
    assert shown_path("/somewhere/else/blind7.yaml") == "blind7.yaml"
