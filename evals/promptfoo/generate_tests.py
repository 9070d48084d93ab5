"""promptfoo tests generator: one test per case of the eval datasets.

Used as `tests: [{path: file://generate_tests.py:generate_tests, config: {datasets: [...]}}]`.
Each test carries the case id and its dataset file in `vars` (the provider runs the case
from them) and what the assertions need in `metadata`. Vars hold strings only: promptfoo
expands a list in `vars` into one test per item.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # promptfoo loads this file by path, not as a package module
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

try:
    from evals.promptfoo.cases import dataset_paths, load_all, relative
except ImportError as error:  # promptfoo started another Python than the project's
    raise ImportError(
        f"this Python ({sys.executable}) cannot import TaskPilot ({error}); run promptfoo with "
        "PROMPTFOO_PYTHON=.venv/bin/python (or under `uv run`), from the repository root"
    ) from error


def generate_tests(config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The tests for `config["datasets"]` (files or folders; `evals/datasets` by default)."""
    configured: list[str] | None = None
    if config and isinstance(config.get("datasets"), list):
        configured = [str(path) for path in config["datasets"]]
    tests: list[dict[str, Any]] = []
    for dataset in load_all(dataset_paths(configured)):
        for case in dataset.cases:
            expected = case.expect.calls
            tools = [call.tool for call in expected] if expected is not None else None
            if tools is None and case.expect.no_calls:
                tools = []
            tests.append(
                {
                    "description": f"{case.dataset}:{case.id}",
                    "vars": {
                        "case_id": case.id,
                        "dataset": relative(dataset.path),
                        "input": "\n".join(case.turns),
                    },
                    "metadata": {
                        "case_id": case.id,
                        "dataset": case.dataset,
                        "category": case.category,
                        # None: the case states no calls (only the tasks afterwards).
                        "expected_tools": tools,
                    },
                }
            )
    return tests
