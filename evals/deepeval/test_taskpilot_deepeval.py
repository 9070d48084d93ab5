"""Every eval case as a deepeval test (`deepeval test run evals/deepeval/`).

Each case runs through `evals.runner.run_case_sync` exactly as `taskpilot eval run` runs it
(`TASKPILOT_EVAL_MODEL`, offline by default; `TASKPILOT_EVAL_PROMPT`), and is asserted with
the metrics of `evals.deepeval.metrics`: our matcher's verdict on the calls and on the tasks
afterwards decides, deepeval's `ToolCorrectnessMetric` is reported beside it. See that
module's docstring for why.
"""

from __future__ import annotations

import deepeval
import pytest
from deepeval import assert_test

from agent.assembly import AgentRuntime
from evals.dataset import Case
from evals.deepeval.adapter import eval_model, eval_prompt_version, load_cases, to_test_case
from evals.deepeval.metrics import gating_metrics, reporting_metrics
from evals.runner import run_case_sync

CASES = load_cases()


@deepeval.log_hyperparameters  # pyright: ignore[reportUntypedFunctionDecorator, reportUnknownMemberType]
def hyperparameters() -> dict[str, str]:
    """Shown with the run's results: which model and prompt version were evaluated."""
    from core.settings import Settings

    return {
        "model": eval_model(),
        "prompt version": eval_prompt_version() or Settings().prompt_version,
    }


@pytest.mark.parametrize("case", CASES, ids=[f"{case.dataset}:{case.id}" for case in CASES])
def test_eval_case(case: Case, eval_runtime: AgentRuntime) -> None:
    result = run_case_sync(
        case, model=eval_model(), prompt_version=eval_prompt_version(), runtime=eval_runtime
    )
    llm_case = to_test_case(case, result)
    metrics = gating_metrics()
    if llm_case.expected_tools is not None:  # deepeval's tool metrics need expected calls
        metrics.extend(reporting_metrics())
    assert_test(llm_case, metrics, run_async=False)
