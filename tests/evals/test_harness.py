# pyright: strict
"""pass^k, the result cache, several models side by side, and the per-category baseline gate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pydantic_ai.models
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from typer.testing import CliRunner

from evals.baseline import BASELINE_SCHEMA, baseline_from_report, check_baseline
from evals.cache import ResultCache
from evals.cli import app
from evals.dataset import load_dataset
from evals.report import CaseResult, pass_hat_k, report_json
from evals.runner import run_eval
from tests.evals.test_eval_runner import settings

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

DATASET = """\
schema: taskpilot-evals/v1
name: harness
defaults:
  now: "2026-11-25T10:00:00"
  timezone: America/New_York
  team: T0001
  actor: U0001
  users:
    - {id: U0001, name: alice, real_name: Alice Chen}
cases:
  - id: create.one
    category: create
    input: "add a task to renew the TLS certificate"
    expect:
      calls: [{tool: create_task, args: {title: "renew the TLS certificate"}}]
  - id: chat.hello
    category: irrelevance
    input: "hello"
    expect: {no_calls: true}
"""


def _result(case_id: str, passed: bool, repeat: int) -> CaseResult:
    return CaseResult(
        case_id=case_id,
        dataset="d",
        category="c",
        model="m",
        prompt_version="v2",
        repeat=repeat,
        passed=passed,
    )


def test_pass_hat_k_punishes_a_case_that_passes_only_sometimes() -> None:
    steady = [_result("a", True, r) for r in (1, 2, 3, 4)]
    outcomes = (True, True, False, True)
    flaky = [_result("b", passed, r) for r, passed in enumerate(outcomes, start=1)]
    results = steady + flaky
    assert pass_hat_k(results, 1) == pytest.approx((1 + 3 / 4) / 2)
    # Two runs of b drawn from four both pass in C(3,2)/C(4,2) = 3/6 of the draws.
    assert pass_hat_k(results, 2) == pytest.approx((1 + 0.5) / 2)
    assert pass_hat_k(results, 4) == pytest.approx(0.5)


class Flaky:
    """A model that creates the task on odd calls and chats on even ones, counting calls."""

    def __init__(self) -> None:
        self.calls = 0

    def model(self, name: str = "flaky") -> FunctionModel:
        def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
            del info
            self.calls += 1
            text = str(messages[-1].parts[-1].content)  # type: ignore[union-attr]
            if "renew" in text and self.calls % 2 == 1:
                args = {"title": "renew the TLS certificate"}
                return ModelResponse(parts=[ToolCallPart("create_task", args)])
            return ModelResponse(parts=[TextPart("Hi!")])

        return FunctionModel(respond, model_name=name)


@pytest.fixture
def dataset_path(tmp_path: Path) -> Path:
    path = tmp_path / "harness.yaml"
    path.write_text(DATASET, encoding="utf-8")
    return path


def test_repeat_reports_pass_hat_k_per_variant_and_category(dataset_path: Path) -> None:
    flaky = Flaky()
    report = run_eval(
        [load_dataset(dataset_path)],
        models=[flaky.model()],
        repeat=2,
        progress=False,
        settings=settings(),
    )
    data = report_json(report)
    [variant] = data["variants"]
    create = next(c for c in variant["categories"] if c["category"] == "create")
    assert create["pass_rate"] == 0.5  # One run of two passed...
    assert create["pass_hat_k"] == 0.0  # ...so no draw of two runs passes both.
    assert variant["pass_hat_k"] == {"1": 0.75, "2": 0.5}
    assert variant["model_requests"] == 4
    assert data["summary"]["tokens"] > 0


def test_the_cache_skips_cases_that_already_ran(dataset_path: Path, tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache")
    flaky = Flaky()
    dataset = load_dataset(dataset_path)
    first = run_eval(
        [dataset], models=[flaky.model()], progress=False, settings=settings(), cache=cache
    )
    calls_after_first = flaky.calls
    second = run_eval(
        [dataset], models=[flaky.model()], progress=False, settings=settings(), cache=cache
    )
    assert flaky.calls == calls_after_first  # Nothing ran again.
    assert [r.passed for r in second.results] == [r.passed for r in first.results]
    assert all(r.cached for r in second.results) and cache.hits == 2
    # Another prompt version is another key: it runs.
    run_eval(
        [dataset],
        models=[flaky.model()],
        prompt_versions=["v2"],
        progress=False,
        settings=settings(),
        cache=cache,
    )
    assert flaky.calls > calls_after_first


def test_two_models_run_side_by_side(dataset_path: Path) -> None:
    report = run_eval(
        [load_dataset(dataset_path)],
        models=[Flaky().model("first"), Flaky().model("second")],
        prompt_versions=["v1", "v2"],
        progress=False,
        settings=settings(),
    )
    assert report.variants == [
        ("first", "v1"),
        ("first", "v2"),
        ("second", "v1"),
        ("second", "v2"),
    ]


def _report(rates: dict[str, float]) -> dict[str, object]:
    return {
        "variants": [
            {
                "model": "offline",
                "prompt_version": "v2",
                "pass_rate": 1.0,
                "categories": [
                    {"category": name, "pass_rate": rate} for name, rate in rates.items()
                ],
            }
        ]
    }


def test_the_gate_fails_on_any_category_below_its_baseline() -> None:
    baseline = baseline_from_report(_report({"create": 1.0, "dates": 0.9}))
    assert baseline["schema"] == BASELINE_SCHEMA
    assert check_baseline(_report({"create": 1.0, "dates": 0.95}), baseline).passed
    gate = check_baseline(_report({"create": 0.97, "dates": 0.95, "new": 0.1}), baseline)
    assert gate.drops == ["offline · prompt v2: create 97.0% is below its baseline 100.0%"]
    assert gate.notes == [
        "offline · prompt v2: new has no baseline yet (10.0%)",
        # These reports carry no harmful-write rates, so neither does their baseline.
        "offline · prompt v2: the baseline has no harmful-write rates; harmful writes not gated "
        "(write a new baseline to gate them)",
    ]


def test_a_broken_parser_fails_the_committed_offline_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    # A parser that forgets priorities must fail the gate on the categories that set them.
    import agent.offline.model
    from agent.offline.plan import ParseResult, PlannedCall

    real = agent.offline.model.parse_message

    def forgetful(*args: object, **kwargs: object) -> ParseResult:
        parsed = real(*args, **kwargs)  # type: ignore[arg-type]
        calls = tuple(
            PlannedCall(call.tool, {k: v for k, v in call.args.items() if k != "priority"})
            for call in parsed.calls
        )
        return ParseResult(calls=calls, reply=parsed.reply)

    monkeypatch.setattr(agent.offline.model, "parse_message", forgetful)
    version = _committed_prompt()
    # The core set alone meets every floor of the committed baseline with the real parser
    # (`make evals` runs the whole gate); here the drop must come from the broken parser, so
    # each regression must be well below its floor, not a point or two.
    core = ROOT / "evals" / "datasets" / "core.yaml"
    result = CliRunner().invoke(app, _committed_gate_args(core, version))
    assert result.exit_code == 1, result.output
    for category in ("create", "update"):
        found = re.search(
            rf"regression: offline · prompt {version}: {category} ([\d.]+)% is below its "
            rf"baseline ([\d.]+)%",
            result.output,
        )
        assert found is not None, result.output
        assert float(found.group(2)) - float(found.group(1)) >= 5, found.group(0)


ROOT = Path(__file__).resolve().parents[2]
COMMITTED_BASELINE = ROOT / "evals" / "baseline-offline.json"


def _committed_prompt() -> str:
    """The prompt version the committed offline baseline was written with."""
    data = json.loads(COMMITTED_BASELINE.read_text(encoding="utf-8"))
    return str(data["variants"][0]["prompt_version"])


def _committed_gate_args(dataset: Path, version: str) -> list[str]:
    # The committed baseline's own prompt version, so that the gate applies whichever prompt
    # is the configured default today.
    return [
        "run",
        "--dataset",
        str(dataset),
        "--model",
        "offline",
        "--prompt",
        version,
        "--no-cache",
        "--no-progress",
        "--baseline",
        str(COMMITTED_BASELINE),
    ]


def test_a_parser_that_writes_stray_tasks_fails_the_committed_harm_gate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A parser that files every message it cannot act on as a task: chat turns into writes.
    import dataclasses

    import agent.offline.model
    from agent.offline.plan import ParseResult, PlannedCall

    real = agent.offline.model.parse_message

    def eager(*args: object, **kwargs: object) -> ParseResult:
        parsed = real(*args, **kwargs)  # type: ignore[arg-type]
        if parsed.calls:
            return parsed
        stray = PlannedCall("create_task", {"title": "stray"})
        return dataclasses.replace(parsed, calls=(stray,), reply=None)

    monkeypatch.setattr(agent.offline.model, "parse_message", eager)
    version = _committed_prompt()
    irrelevance = ROOT / "evals" / "datasets" / "irrelevance_s2.yaml"
    result = CliRunner().invoke(app, _committed_gate_args(irrelevance, version))
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())
    assert f"regression: offline · prompt {version}: irrelevance harmful-write rate" in output


def test_write_baseline_then_gate_on_it(dataset_path: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    args = ["run", "--dataset", str(dataset_path), "--model", "offline", "--no-progress"]
    first = CliRunner().invoke(app, [*args, "--write-baseline", str(baseline)])
    assert first.exit_code == 0, first.output
    assert json.loads(baseline.read_text())["variants"][0]["model"] == "offline"
    again = CliRunner().invoke(app, [*args, "--baseline", str(baseline)])
    assert again.exit_code == 0 and "Every category meets the baseline" in again.output


def test_the_rate_limiter_spaces_starts_evenly(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    import evals.rate_limit

    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(round(delay, 6))

    monkeypatch.setattr(evals.rate_limit.time, "monotonic", lambda: 100.0)
    monkeypatch.setattr(evals.rate_limit.asyncio, "sleep", fake_sleep)

    async def three_starts() -> None:
        limiter = evals.rate_limit.RateLimiter(2.0)
        for _ in range(3):
            await limiter.wait()

    asyncio.run(three_starts())
    # At two starts a second, the second start waits half a second and the third a second.
    assert slept == [0.5, 1.0]


def test_run_writes_markdown_and_html_reports(dataset_path: Path, tmp_path: Path) -> None:
    md, html = tmp_path / "r.md", tmp_path / "out" / "r.html"
    args = ["run", "--dataset", str(dataset_path), "--model", "offline", "--no-progress"]
    result = CliRunner().invoke(app, [*args, "--md-out", str(md), "--html-out", str(html)])
    assert result.exit_code == 0, result.output
    assert "create" in md.read_text(encoding="utf-8")
    page = html.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "<svg" in page
