"""Start-up cost of the CLI, side by side with what it avoids importing.

Run: `uv run python bench/cli_startup.py [--runs N]`. Each command runs N times (default 5) in
a fresh process, alternating, and the medians are printed with their ratio to a bare
interpreter start. `taskpilot --help` must stay far from the cost of importing LiteLLM, which
only a chain with provider models loads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
TASKPILOT = str(Path(PYTHON).with_name("taskpilot"))

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "taskpilot --help": [TASKPILOT, "--help"],
    "python -c 'import pydantic_ai'": [PYTHON, "-c", "import pydantic_ai"],
    "python -c 'import litellm'": [PYTHON, "-c", "import litellm"],
}


def _time(command: list[str]) -> float:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up cost of the CLI.")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            samples[name].append(_time(command))
    base = statistics.median(samples["python -c pass"])
    print(f"median of {args.runs} runs each, interleaved, on this machine")
    print(f"{'command':34} {'median s':>9} {'x bare python':>14}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:34} {median:9.3f} {median / base:14.1f}")
    help_s = statistics.median(samples["taskpilot --help"])
    litellm_s = statistics.median(samples["python -c 'import litellm'"])
    print(f"importing litellm costs {litellm_s / help_s:.1f}x a whole `taskpilot --help`")


if __name__ == "__main__":
    main()
