"""Offline set-up for `deepeval test run evals/deepeval/...`.

deepeval is imported by its pytest plugin before this file runs, but it reads its settings
from the environment again whenever the environment changes, so these still take effect for
the test run. They come too late for the `deepeval` command's own start-up, though, which
sends a usage event unless `DEEPEVAL_TELEMETRY_OPT_OUT` is already set: so run it as the
`eval-deepeval` make target does, with these variables on the command line.
"""

from __future__ import annotations

import os

# No anonymous usage events (PostHog), no reading of a `.env` into deepeval's settings, and no
# version check against PyPI.
os.environ["DEEPEVAL_TELEMETRY_OPT_OUT"] = "YES"
os.environ["DEEPEVAL_DISABLE_DOTENV"] = "1"
os.environ.pop("DEEPEVAL_UPDATE_WARNING_OPT_IN", None)
# LiteLLM would fetch its price map from the internet at import time without this.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import pytest

from agent.assembly import AgentRuntime
from evals.deepeval.adapter import eval_model, eval_prompt_version
from evals.runner import EvalSetupError, build_case_runtime


@pytest.fixture(scope="session")
def eval_runtime() -> AgentRuntime:
    """One agent for the whole run, for `TASKPILOT_EVAL_MODEL` and `TASKPILOT_EVAL_PROMPT`."""
    try:
        runtime = build_case_runtime(model=eval_model(), prompt_version=eval_prompt_version())
    except EvalSetupError as error:
        pytest.fail(str(error), pytrace=False)
    return runtime
