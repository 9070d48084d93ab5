# pyright: strict
"""`taskpilot eval run --metrics-out`: pass rates in the Prometheus text format."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pydantic_ai.models
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from evals.cli import app

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

DATASET = """\
schema: taskpilot-evals/v1
name: metrics
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
  - id: create.wrong
    category: create
    input: "add a task to renew the TLS certificate"
    expect:
      calls: [{tool: create_task, args: {title: "water the plants"}}]
  - id: chat.hello
    category: irrelevance
    input: "hello"
    expect: {no_calls: true}
"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _samples(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Samples, dict[str, Any], str]:
    tmp_path = tmp_path_factory.mktemp("metrics_out")
    dataset = tmp_path / "metrics.yaml"
    dataset.write_text(DATASET, encoding="utf-8")
    metrics = tmp_path / "textfile" / "taskpilot_evals.prom"
    report = tmp_path / "report.json"
    args = [
        "run",
        "--dataset",
        str(dataset),
        "--model",
        "offline",
        "--prompt",
        "v2",
        "--no-cache",
        "--no-progress",
        "--json-out",
        str(report),
        "--metrics-out",
        str(metrics),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "taskpilot_evals.prom" in result.output.replace("\n", "")
    text = metrics.read_text(encoding="utf-8")
    return _samples(text), json.loads(report.read_text(encoding="utf-8")), text


def _key(dataset: str, model: str, category: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"dataset": dataset, "model": model, "prompt_version": "v2", "category": category}
    return "taskpilot_eval_pass_rate", tuple(sorted(labels.items()))


def test_pass_rates_per_category_and_overall(run: tuple[Samples, dict[str, Any], str]) -> None:
    samples, report, _ = run
    variant = report["variants"][0]
    model = variant["model"]
    expected: Samples = {}
    # One dataset in the run: its rates and those of "all" are the same.
    for dataset in ("metrics", "all"):
        for category in variant["categories"]:
            expected[_key(dataset, model, category["category"])] = category["pass_rate"]
        expected[_key(dataset, model, "overall")] = variant["pass_rate"]
    rates = {key: value for key, value in samples.items() if key[0] == "taskpilot_eval_pass_rate"}
    assert rates.keys() == expected.keys()
    for key, value in expected.items():
        assert rates[key] == pytest.approx(value, abs=1e-4)
    # The wrong title fails, so "create" is at most one half, and every rate is a share.
    assert rates[_key("metrics", model, "create")] <= 0.5
    assert all(0.0 <= value <= 1.0 for value in rates.values())


def test_harmful_rates_per_category_and_overall(run: tuple[Samples, dict[str, Any], str]) -> None:
    samples, report, _ = run
    variant = report["variants"][0]
    model = variant["model"]
    labels = {"dataset": "all", "model": model, "prompt_version": "v2", "category": "overall"}
    key = ("taskpilot_eval_harmful_rate", tuple(sorted(labels.items())))
    assert samples[key] == pytest.approx(variant["harmful_rate"], abs=1e-4)
    harmful = [name for name, _ in samples if name == "taskpilot_eval_harmful_rate"]
    assert len(harmful) == 2 * (len(variant["categories"]) + 1)  # "metrics" and "all".


def test_run_timestamp_is_when_the_run_finished(run: tuple[Samples, dict[str, Any], str]) -> None:
    samples, report, _ = run
    stamps = {
        key: value
        for key, value in samples.items()
        if key[0] == "taskpilot_eval_run_timestamp_seconds"
    }
    model = report["variants"][0]["model"]
    assert [dict(key[1]) for key in stamps] == [
        {"dataset": dataset, "model": model, "prompt_version": "v2"}
        for dataset in ("metrics", "all")
    ]
    finished = datetime.fromisoformat(report["finished_at"]).timestamp()
    assert all(value == pytest.approx(finished, abs=1.0) for value in stamps.values())


def test_the_file_is_plain_prometheus_text(run: tuple[Samples, dict[str, Any], str]) -> None:
    _, _, text = run
    # Gauges with help and type lines, as the textfile collector and the Pushgateway expect.
    assert "# TYPE taskpilot_eval_pass_rate gauge" in text
    assert "# TYPE taskpilot_eval_run_timestamp_seconds gauge" in text
    assert "# HELP taskpilot_eval_pass_rate " in text
    assert text.endswith("\n")
