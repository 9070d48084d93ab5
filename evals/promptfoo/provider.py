"""promptfoo provider: runs one TaskPilot eval case through `evals.runner.run_case_sync`.

promptfoo calls `call_api(prompt, options, context)` with the test's vars (`case_id`,
`dataset`) in `context["vars"]` and the provider's `config` (`model`, default `offline`;
`prompt_version`, default the settings' one) in `options["config"]`. The prompt text is the
case's input, shown in promptfoo's table; the case itself is what runs, with all its turns,
people and seeded tasks, exactly as `taskpilot eval run` runs it. The output is a JSON
document with the tool calls and our matcher's verdict, which the assertions read.

promptfoo keeps this module loaded in a worker process, so datasets and agents are built once
per worker.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # promptfoo loads this file by path, not as a package module
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

if TYPE_CHECKING:
    from agent.assembly import AgentRuntime
    from evals.matching import Check

WRONG_PYTHON = (
    "this Python ({python}) cannot import TaskPilot ({error}); run promptfoo with "
    "PROMPTFOO_PYTHON=.venv/bin/python (or under `uv run`), from the repository root"
)

CALL_KINDS = frozenset({"call", "no_calls"})
STATE_KINDS = frozenset({"state", "absent", "task_count"})

_runtimes: dict[tuple[str, str | None], AgentRuntime] = {}


def _runtime(model: str, prompt_version: str | None) -> AgentRuntime:
    from evals.runner import build_case_runtime

    key = (model, prompt_version)
    if key not in _runtimes:
        _runtimes[key] = build_case_runtime(model=model, prompt_version=prompt_version)
    return _runtimes[key]


def _verdict(checks: list[Check], kinds: frozenset[str]) -> bool:
    """The checks of these kinds all passed (and the case did not raise)."""
    return all(check.passed for check in checks if check.kind in kinds or check.kind == "error")


def _str_or_none(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def call_api(prompt: str, options: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """Run the case named by the test's vars; `{"error": ...}` when it cannot be run at all.

    TaskPilot is imported here, not at the top: a worker that dies while loading this module
    leaves promptfoo waiting for it, while an error returned here ends that test at once.
    """
    try:
        from evals.promptfoo.cases import find_case
        from evals.runner import EvalSetupError, run_case_sync
    except ImportError as error:
        return {"error": WRONG_PYTHON.format(python=sys.executable, error=error)}
    config: Mapping[str, Any] = options.get("config") or {}
    test_vars: Mapping[str, Any] = context.get("vars") or {}
    model = _str_or_none(config.get("model")) or "offline"
    prompt_version = _str_or_none(config.get("prompt_version"))
    try:
        case = find_case(str(test_vars["dataset"]), str(test_vars["case_id"]))
        runtime = _runtime(model, prompt_version)
    except (KeyError, OSError, ValueError, EvalSetupError) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    result = run_case_sync(case, model=model, prompt_version=prompt_version, runtime=runtime)
    output = {
        "case_id": result.case_id,
        "dataset": result.dataset,
        "model": result.model,
        "prompt_version": result.prompt_version,
        "passed": result.passed,
        "calls_passed": _verdict(result.checks, CALL_KINDS) and bool(result.checks),
        "state_passed": _verdict(result.checks, STATE_KINDS),
        "tool_calls": [call.model_dump(mode="json") for call in result.actual_calls],
        "tool_names": [call.tool for call in result.actual_calls],
        "failures": result.failures,
        "checks": [check.model_dump(mode="json") for check in result.checks],
        "error": result.error,
        "reply": "\n".join(result.replies),
    }
    return {
        "output": json.dumps(output, ensure_ascii=False, default=str),
        "metadata": {"latency_s": round(result.latency_s, 4)},
    }
