"""Eval cases and their results as deepeval test cases."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deepeval.test_case import LLMTestCase, ToolCall

from evals.dataset import Case, read_datasets
from evals.deepeval.metrics import CHECKS_KEY, checks_metadata
from evals.report import CaseResult

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS = (REPO_ROOT / "evals" / "datasets",)

MODEL_ENV = "TASKPILOT_EVAL_MODEL"
PROMPT_ENV = "TASKPILOT_EVAL_PROMPT"
DATASETS_ENV = "TASKPILOT_EVAL_DATASETS"


def eval_model() -> str:
    """The model under test: `TASKPILOT_EVAL_MODEL`, the offline model by default."""
    return os.environ.get(MODEL_ENV) or "offline"


def eval_prompt_version() -> str | None:
    """The prompt version: `TASKPILOT_EVAL_PROMPT`, else the settings' default."""
    return os.environ.get(PROMPT_ENV) or None


def dataset_paths() -> list[Path]:
    """`TASKPILOT_EVAL_DATASETS` (paths joined with os.pathsep), else `evals/datasets`."""
    raw = os.environ.get(DATASETS_ENV, "")
    paths = [Path(part) for part in raw.split(os.pathsep) if part.strip()]
    return paths or list(DEFAULT_DATASETS)


class DatasetProblemsError(Exception):
    """A dataset did not load; the message lists every problem."""


def load_cases() -> list[Case]:
    """Every case of the datasets, in file order; raises when any dataset is malformed."""
    datasets, issues = read_datasets(dataset_paths())
    if issues:
        raise DatasetProblemsError("\n".join(str(issue) for issue in issues))
    return [case for dataset in datasets for case in dataset.cases]


def jsonable(value: object) -> Any:
    """`value` with dates and other non-JSON values as strings (deepeval saves runs as JSON)."""
    return json.loads(json.dumps(value, default=str))


def _args(args: Mapping[str, object]) -> dict[str, Any]:
    converted: dict[str, Any] = jsonable(dict(args))
    return converted


def to_test_case(case: Case, result: CaseResult) -> LLMTestCase:
    """The case and what the agent did, with our matcher's checks in `metadata`."""
    expected = result.expected_calls
    if expected is None and case.expect.no_calls:
        expected = []
    return LLMTestCase(
        input="\n".join(case.turns),
        actual_output="\n".join(result.replies),
        tools_called=[
            ToolCall(name=call.tool, input_parameters=_args(call.args), output={"ok": call.ok})
            for call in result.actual_calls
        ],
        # None for a case that states only the tasks afterwards: it expects no particular calls.
        expected_tools=None
        if expected is None
        else [ToolCall(name=call.tool, input_parameters=_args(call.args)) for call in expected],
        name=case.id,
        tags=[case.category, case.dataset],
        metadata={
            "case_id": case.id,
            "dataset": case.dataset,
            "category": case.category,
            "model": result.model,
            "prompt_version": result.prompt_version,
            "passed": result.passed,
            "error": result.error,
            "failures": result.failures,
            CHECKS_KEY: checks_metadata(result.checks),
        },
    )
