"""Speed of the offline model: its parser alone, a whole agent turn on it, and the eval suite.

Run: `uv run python bench/offline_speed.py [--passes N] [--no-suite] [--json]` (or
`make bench-offline`). No model and no network are involved: the offline model is the
deterministic parser in `agent/offline`.

The utterances are the `input` of every single-turn case of `evals/datasets` (multi-turn cases
are left out, so that every utterance starts a fresh conversation in both measures below).
First, with the process free to use both cores, the full offline eval suite runs as its own
command, `taskpilot eval run --dataset evals/datasets --model offline --no-cache
--no-progress`, and its wall time (process start to exit) and cases per second are reported:
the issue asks for that wall time, and it is the one bare time here. Then the process is pinned
to ONE core (`os.sched_setaffinity`) and two rates are measured side by side in that run:

- parser: `agent.offline.parse_message(text, context=...)` per utterance, with the people of
  the case's workspace in the context as the offline model reads them from the prompt; no
  agent loop, no database. Best of `--passes` passes over all utterances (target 500/s);
- run_turn: `agent.runtime.run_turn` with the offline model (`--model offline`) exactly as a
  transport calls it: prompt rendering, the pydantic-ai loop, tool validation and the tool calls
  against a seeded in-memory SQLite database (`evals.runner.case_environment`, the evals' own
  set-up). Seeding the database is not timed; the turn is. Best of `--passes` passes.

The ratio parser rate / run_turn rate says how much of a turn is the parser's own work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from agent.offline import ConversationContext, parse_message
from evals.dataset import Case, load_datasets

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "evals" / "datasets"
TASKPILOT = str(Path(sys.executable).with_name("taskpilot"))
PARSER_TARGET = 500.0


@dataclass
class SuiteResult:
    command: str
    wall_s: float
    cases: int
    passed: int
    cases_per_s: float
    exit_code: int


@dataclass
class Result:
    utterances: int
    cpu: int | None
    parser_per_s: float
    parser_passes: list[float]
    turn_per_s: float
    turn_passes: list[float]
    turn_failures: int
    suite: SuiteResult | None

    @property
    def parser_over_turn(self) -> float:
        return self.parser_per_s / self.turn_per_s


def single_turn_cases() -> list[Case]:
    return [
        case
        for dataset in load_datasets([DATASETS])
        for case in dataset.cases
        if len(case.turns) == 1
    ]


def _people(case: Case) -> frozenset[str]:
    """The case's people as `people_from_instructions` reads them from the prompt."""
    names: set[str] = set()
    for user in case.users:
        names.add(user.name.lower())
        for name in (user.real_name, user.display_name):
            if name:
                names.add(name.lower())
    return frozenset(names)


def parser_pass(work: Sequence[tuple[str, ConversationContext]]) -> float:
    """Utterances per second of the parser alone over one pass."""
    began = time.perf_counter()
    for text, context in work:
        parse_message(text, context=context)
    return len(work) / (time.perf_counter() - began)


async def turn_pass(cases: Sequence[Case]) -> tuple[float, int]:
    """Utterances per second of `run_turn` on the offline model (seeding not timed), and how
    many turns ended in an error."""
    from agent.providers import close_provider_clients
    from agent.runtime import run_turn
    from evals.runner import build_case_runtime, case_environment

    runtime = build_case_runtime(model="offline", prompt_version=None)
    elapsed = 0.0
    failures = 0
    try:
        for case in cases:
            with case_environment(case, source="bench") as (_sessions, deps):
                began = time.perf_counter()
                result = await run_turn(
                    case.turns[0], runtime=runtime, deps=deps, conversation_id=f"bench:{case.id}"
                )
                elapsed += time.perf_counter() - began
            failures += result.error is not None
    finally:
        await close_provider_clients()
    return len(cases) / elapsed, failures


def run_suite() -> SuiteResult:
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "report.json"
        command = [
            TASKPILOT,
            "eval",
            "run",
            "--dataset",
            str(DATASETS.relative_to(ROOT)),
            "--model",
            "offline",
            "--no-cache",
            "--no-progress",
        ]
        began = time.perf_counter()
        completed = subprocess.run(
            [*command, "--json-out", str(report_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - began
        if not report_path.exists():
            sys.exit(f"the eval suite wrote no report:\n{completed.stdout}\n{completed.stderr}")
        summary = json.loads(report_path.read_text())["summary"]
    runs = int(summary["runs"])
    return SuiteResult(
        command=" ".join(["taskpilot", *command[1:]]),
        wall_s=wall,
        cases=runs,
        passed=int(summary["passed"]),
        cases_per_s=runs / wall,
        exit_code=completed.returncode,
    )


def pin_to_one_core() -> int | None:
    """Pin this process to one of the cores it may use; None where that is not possible."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def measure(*, passes: int, suite: bool) -> Result:
    suite_result = run_suite() if suite else None
    cpu = pin_to_one_core()
    cases = single_turn_cases()
    work = [(case.turns[0], ConversationContext(people=_people(case))) for case in cases]
    parser_pass(work)  # Warm-up: imports, regex compilation, caches.
    parser_rates = [parser_pass(work) for _ in range(passes)]
    turn_rates: list[float] = []
    failures = 0
    asyncio.run(turn_pass(cases[:20]))  # Warm-up.
    for _ in range(passes):
        rate, failures = asyncio.run(turn_pass(cases))
        turn_rates.append(rate)
    return Result(
        utterances=len(work),
        cpu=cpu,
        parser_per_s=max(parser_rates),
        parser_passes=parser_rates,
        turn_per_s=max(turn_rates),
        turn_passes=turn_rates,
        turn_failures=failures,
        suite=suite_result,
    )


def report(result: Result) -> bool:
    where = f"core {result.cpu}" if result.cpu is not None else "one process (no pinning here)"
    print(f"Offline model speed: {result.utterances} single-turn utterances, pinned to {where}")
    print(f"\n{'measure':<44}{'utterances/s':>14}{'median pass':>13}{'ratio':>8}")
    print(
        f"{'parser alone (parse_message)':<44}{result.parser_per_s:>14,.0f}"
        f"{statistics.median(result.parser_passes):>13,.0f}"
        f"{result.parser_over_turn:>7.1f}x"
    )
    print(
        f"{'run_turn, offline model, in-memory SQLite':<44}{result.turn_per_s:>14,.0f}"
        f"{statistics.median(result.turn_passes):>13,.0f}{1.0:>7.1f}x"
    )
    if result.turn_failures:
        print(f"  ({result.turn_failures} turns ended in an error)")
    suite = result.suite
    if suite is not None:
        print(
            f"\neval suite: {suite.cases} cases ({suite.passed} passed) in {suite.wall_s:.1f} s "
            f"wall = {suite.cases_per_s:.1f} cases/s (exit {suite.exit_code}), both cores\n"
            f"  {suite.command}"
        )
    passed = result.parser_per_s >= PARSER_TARGET
    print(
        f"\nsummary: parser {result.parser_per_s:,.0f} utterances/s on one core "
        f"(target >= {PARSER_TARGET:.0f}/s): {'PASS' if passed else 'MISS'}; "
        f"run_turn {result.turn_per_s:,.0f}/s"
        + (f"; eval suite {suite.wall_s:.1f} s, {suite.cases_per_s:.1f} cases/s" if suite else "")
    )
    return passed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Offline model speed: parser and run_turn on one core, eval suite wall time."
    )
    parser.add_argument(
        "--passes", type=int, default=5, help="passes over the utterances (default: %(default)s)"
    )
    parser.add_argument("--no-suite", action="store_true", help="skip the eval suite run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    args = parser.parse_args(argv)
    if args.passes < 1:
        parser.error("--passes must be at least 1")
    result = measure(passes=args.passes, suite=not args.no_suite)
    passed = result.parser_per_s >= PARSER_TARGET
    if args.json:
        payload = asdict(result) | {
            "parser_target_per_s": PARSER_TARGET,
            "parser_over_turn": result.parser_over_turn,
            "pass": passed,
        }
        print(json.dumps(payload, indent=2))
        return 0 if passed else 1
    return 0 if report(result) else 1


if __name__ == "__main__":
    sys.exit(main())
