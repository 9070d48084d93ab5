"""Agent overhead: one `run_turn` that creates a task against the bare `TaskService.create_task`
call it ends in, side by side in one process, on one database.

Run: `uv run python bench/agent_overhead.py` (or `make bench-overhead`). Options: `--reps N`
(default 300 pairs), `--warmup N` (default 20 pairs, not counted), `--database sqlite|postgres`
(default sqlite: a file in a temporary folder; postgres: a fresh database on
`TASKPILOT_BENCH_POSTGRES_URL`, default `postgresql+psycopg://root@127.0.0.1:5432/test`,
dropped afterwards), `--json`, `--profile` (cProfile of the `run_turn` calls, top 30 by
cumulative time, on stderr).

What is measured, per call, with `time.perf_counter` around it:

- A, "run_turn": `agent.runtime.run_turn("add a task to ...")` with an INSTANT SCRIPTED model
  (a pydantic-ai `FunctionModel`, no network, no language understanding) that answers the
  first request with one `create_task(title=...)` tool call and any later request with a
  short text. Its function is a coroutine, as a provider model's request is: `FunctionModel`
  runs a plain function on a worker thread, a hand-off per model call that no provider model
  makes, so a plain one would count a cost of the scripted model against the agent.
  Everything else is the production path: the prompt built from the template and the
  directory (the team's people list is kept per team for a minute, as in production:
  `agent/prompt_people.py`), conversation memory loaded and saved, the tool's argument
  validation, the task written with its audit event in its own transaction, the card, the
  turn log, and tracing configured as the server configures it (`core.tracing`; spans
  recorded only when an exporter is set). Each turn has a conversation id of its own (a new
  Slack thread), so history never grows.
- B, "TaskService": `TaskService(session, ...).create_task(title=...)` in
  `with session.begin()`: the same write, committed, without the agent.

A and B alternate (A first on even pairs, B first on odd ones) after a warm-up; the figure is
the ratio of the medians, p50(A) / p50(B). Target: at most 3x.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from common import emit_json, fresh_postgres, percentile, verdict

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage, ModelResponse
    from pydantic_ai.models.function import AgentInfo
    from sqlmodel import Session

TARGET = 3.0
TEAM = "T0BENCH"
ACTOR = "U0BENCH"


def _instant_model() -> Any:
    from pydantic_ai.messages import ModelRequest, ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import FunctionModel

    counter = iter(range(1, 10**9))

    # A coroutine, so that `FunctionModel` calls it on the event loop as a provider model's
    # request would run, rather than on a worker thread (see the module's docstring).
    async def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del info
        last = messages[-1]
        # A request carrying tool results: the turn's calls were made, answer in a sentence.
        if isinstance(last, ModelRequest) and any(
            part.part_kind in ("tool-return", "retry-prompt") for part in last.parts
        ):
            return ModelResponse(parts=[TextPart("Done.")])
        number = next(counter)
        return ModelResponse(
            parts=[ToolCallPart("create_task", {"title": f"Send the Q3 deck ({number})"})]
        )

    return FunctionModel(respond, model_name="instant-scripted")


@contextmanager
def _database(kind: str) -> Iterator[str]:
    if kind == "postgres":
        with fresh_postgres("taskpilot_bench_overhead") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="taskpilot-bench-") as folder:
        yield f"sqlite:///{os.path.join(folder, 'bench.db')}"


def _profile_report(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


async def _measure(
    url: str, *, reps: int, warmup: int, profile: bool
) -> tuple[list[float], list[float], str]:
    from agent.agent_deps import AgentDeps
    from agent.assembly import build_runtime
    from agent.runtime import run_turn
    from core.db import make_engine, make_session_factory, upgrade
    from core.settings import Settings
    from core.tracing import configure_tracing
    from tasks.directory import UserDirectory
    from tasks.service import TaskService

    settings = Settings.model_validate(
        {
            "DATABASE_URL": url,
            "TASKPILOT_MODELS": "offline",
            "TASKPILOT_TIMEZONE": "UTC",
            "TASKPILOT_DAILY_TOKENS_PER_USER": 0,
            "TASKPILOT_DAILY_TOKENS_PER_TEAM": 0,
            "REDIS_URL": None,
        }
    )
    engine = make_engine(url)
    upgrade(engine)
    sessions: Callable[[], Session] = make_session_factory(engine)
    with sessions() as session, session.begin():
        UserDirectory(session, team_id=TEAM).upsert(
            user_id=ACTOR, handle="alice", real_name="Alice Chen", tz="UTC"
        )
    runtime = build_runtime(settings=settings, model=_instant_model())
    # Tracing set up as `taskpilot serve` and the turn workers set it up (nothing exported
    # unless the environment names an exporter), so that a turn pays here what it pays there.
    configure_tracing(settings)
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    counter = iter(range(1, 10**9))
    profiler = cProfile.Profile() if profile else None

    async def turn() -> float:
        number = next(counter)
        deps = AgentDeps(
            session_factory=sessions, team_id=TEAM, actor_id=ACTOR, now=now, source="bench"
        )
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        result = await run_turn(
            f"add a task to send the Q3 deck ({number})",
            runtime=runtime,
            deps=deps,
            conversation_id=f"bench:overhead:{number}",
        )
        elapsed = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
        if result.error or not result.tool_calls or not all(c.ok for c in result.tool_calls):
            raise RuntimeError(f"the scripted turn did not create its task: {result}")
        return elapsed

    def bare() -> float:
        number = next(counter)
        start = time.perf_counter()
        with sessions() as session, session.begin():
            TaskService(session, team_id=TEAM, actor_id=ACTOR, source="bench").create_task(
                title=f"Send the Q3 deck ({number})"
            )
        return time.perf_counter() - start

    a: list[float] = []
    b: list[float] = []
    try:
        for index in range(warmup + reps):
            if index % 2 == 0:
                ta = await turn()
                tb = bare()
            else:
                tb = bare()
                ta = await turn()
            if index >= warmup:
                a.append(ta)
                b.append(tb)
    finally:
        engine.dispose()
    return a, b, _profile_report(profiler) if profiler is not None else ""


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="run_turn with an instant SCRIPTED model (FunctionModel) against the bare "
        "TaskService.create_task it ends in: per-call p50 of each and their ratio (target <= 3x)."
    )
    parser.add_argument("--reps", type=int, default=300, help="measured pairs (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="pairs not counted (default 20)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="cProfile run_turn (stderr)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _arguments(argv)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with _database(args.database) as url:
        a, b, profile = asyncio.run(
            _measure(url, reps=args.reps, warmup=args.warmup, profile=args.profile)
        )
    rows = {
        "run_turn": {q: percentile(a, q) * 1000 for q in (50, 90, 99)},
        "TaskService.create_task": {q: percentile(b, q) * 1000 for q in (50, 90, 99)},
    }
    ratio = rows["run_turn"][50] / rows["TaskService.create_task"][50]
    ok = ratio <= TARGET
    summary = (
        f"agent overhead ({args.database}, {args.reps} pairs): run_turn p50 is {ratio:.2f}x "
        f"TaskService.create_task p50; target <= {TARGET:g}x: {verdict(ok)}"
    )
    if args.json:
        emit_json(
            {
                "benchmark": "agent_overhead",
                "database": args.database,
                "pairs": args.reps,
                "ms": {name: {f"p{q}": v for q, v in row.items()} for name, row in rows.items()},
                "ratio_p50": ratio,
                "target_max_ratio": TARGET,
                "pass": ok,
                "summary": summary,
            }
        )
    else:
        print(f"{'per call, ms':<28}{'p50':>9}{'p90':>9}{'p99':>9}")
        for name, row in rows.items():
            print(f"{name:<28}{row[50]:>9.2f}{row[90]:>9.2f}{row[99]:>9.2f}")
        print(f"{'ratio A/B (p50)':<28}{ratio:>9.2f}")
        print(summary)
    if profile:
        print(profile, file=sys.stderr)


if __name__ == "__main__":
    main()
