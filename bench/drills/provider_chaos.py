"""Drill: provider chaos. 30% of model calls fail at random; every turn is still answered.

Run: `python bench/drills/provider_chaos.py [--turns 200] [--failure-rate 0.3] [--seed 9]`.

`agent.runtime.run_turn` in this process, on a fresh PostgreSQL database, with the chain
`openai/gpt-4.1-mini,offline`: the OpenAI link points at the scripted provider
(`devtools.scripted_provider`, real HTTP through LiteLLM and the OpenAI SDK). A seeded random
generator makes `--failure-rate` of its answers faults, in equal shares: 429 with
`Retry-After`, 500, a hang past the client timeout, and a malformed tool call (arguments that
are not JSON). The other answers call `create_task` for the item the person named
("add a task to drill item 00042"), say "Done." after a successful tool result, and call
`create_task` again (correctly) after a validation error, as a working model would.

Expected: every turn has a reply and no error, every item has exactly one task (no duplicate
writes, none lost), one turn record per turn; fallbacks to the offline model are counted
(`TurnResult.degraded` and the `agent_turns` rows). Exits 1 when a count differs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import threading
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from _common import TEAM, UNLIMITED, Report, query, scratch_database  # pyright: ignore[reportMissingImports]

from devtools.scripted_provider import (
    RecordedRequest,
    Reply,
    ScriptedProvider,
    hang,
    rate_limited,
    server_error,
    text,
    tool_calls,
)

MODEL = "openai/gpt-4.1-mini"
ITEM = re.compile(r"drill item (\d{5})")
ACTOR = "U0ALICE"
TIMEOUT = 2.0


def title_of(index: int) -> str:
    return f"Drill item {index:05d}"


class Chaos:
    """Answers like a working model, except for a seeded share of faults."""

    def __init__(self, *, rate: float, seed: int) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.faults: Counter[str] = Counter()

    def _fault(self) -> str | None:
        with self.lock:
            if self.rng.random() >= self.rate:
                return None
            kind = self.rng.choice(("429", "500", "timeout", "malformed"))
            self.faults[kind] += 1
            return kind

    def __call__(self, request: RecordedRequest) -> Reply:
        fault = self._fault()
        if fault == "429":
            return rate_limited(retry_after=0.2)
        if fault == "500":
            return server_error()
        if fault == "timeout":
            return hang(TIMEOUT + 1.5)
        messages = request.messages
        last = messages[-1] if messages else {}
        if last.get("role") == "tool":
            said_back = str(last.get("content")).lower()
            # A working model answers a success, and calls again after a validation error.
            if "error" not in said_back and "try again" not in said_back:
                return text("Done.")
            fault = None if fault == "malformed" else fault
        said = " ".join(str(m.get("content")) for m in messages if m.get("role") == "user")
        found = ITEM.findall(said.lower())
        if not found:
            return text("Which item?")
        if fault == "malformed":
            return tool_calls(("create_task", '{"title": "Drill item ' + found[-1] + '"'))
        return tool_calls(("create_task", {"title": title_of(int(found[-1]))}))


async def run_all(
    turns: int, *, database_url: str, provider: ScriptedProvider, concurrency: int
) -> list[Any]:
    from agent.agent_deps import AgentDeps
    from agent.assembly import build_runtime
    from agent.runtime import run_turn
    from core.db import make_engine, make_session_factory, upgrade
    from core.settings import Settings
    from tasks.directory import UserDirectory

    settings = Settings.model_validate(
        {
            "DATABASE_URL": database_url,
            "TASKPILOT_MODELS": f"{MODEL},offline",
            "TASKPILOT_LLM_BASE_URL": provider.base_url,
            "TASKPILOT_LLM_API_KEY": "sk-drill",
            "TASKPILOT_LLM_TIMEOUT": TIMEOUT,
            "TASKPILOT_LLM_RETRIES": 1,
            "TASKPILOT_LLM_ALLOWED_FAILS": 1000,
            "TASKPILOT_LLM_COOLDOWN": 0,
            "TASKPILOT_DAILY_TOKENS_PER_USER": 1_000_000_000,
            "TASKPILOT_DAILY_TOKENS_PER_TEAM": 1_000_000_000,
            "TASKPILOT_TIMEZONE": "UTC",
            **UNLIMITED,
        }
    )
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session, session.begin():
        UserDirectory(session, team_id=TEAM).upsert(
            user_id=ACTOR,
            handle="alice",
            real_name="Alice Moreau",
            display_name="alice",
            tz="UTC",
            is_bot=False,
            deleted=False,
        )
    runtime = build_runtime(settings=settings)
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> Any:
        deps = AgentDeps(
            session_factory=sessions,
            team_id=TEAM,
            actor_id=ACTOR,
            now=datetime.now(UTC),
            source="drill",
        )
        async with gate:
            try:
                return await run_turn(
                    f"add a task to drill item {index:05d}",
                    runtime=runtime,
                    deps=deps,
                    conversation_id=f"drill:chaos:{index}",
                )
            except Exception as error:  # A raised turn is a failed check, not a crash.
                return error

    try:
        return list(await asyncio.gather(*(one(index) for index in range(turns))))
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args(argv)
    # LiteLLM's bundled price table: no download at start-up.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    n: int = args.turns
    report = Report(f"provider chaos: {n} turns, {args.failure_rate:.0%} of model calls fail")
    chaos = Chaos(rate=args.failure_rate, seed=args.seed)
    with ExitStack() as stack:
        provider = stack.enter_context(ScriptedProvider(default=chaos))
        database_url = stack.enter_context(scratch_database("drill_chaos"))
        results = asyncio.run(
            run_all(n, database_url=database_url, provider=provider, concurrency=args.concurrency)
        )
        raised = [r for r in results if isinstance(r, Exception)]
        answered = [r for r in results if not isinstance(r, Exception)]
        rows = query(database_url, "SELECT title FROM tasks WHERE team_id = :t", t=TEAM)
        titles = Counter(str(row[0]) for row in rows)
        records = query(
            database_url,
            "SELECT model, degraded, count(*) FROM agent_turns GROUP BY model, degraded "
            "ORDER BY model, degraded",
        )
        audits = query(
            database_url,
            "SELECT count(*) FROM audit_events WHERE team_id = :t AND action = 'create'",
            t=TEAM,
        )[0][0]

    report.check("turns that raised", 0, len(raised))
    report.check("turns answered (non-empty reply)", n, sum(1 for r in answered if r.reply.strip()))
    report.check("turns with an error (apology)", 0, sum(1 for r in answered if r.error))
    report.check("tasks in the database", n, sum(titles.values()))
    report.check(
        "items with exactly one task", n, sum(1 for i in range(n) if titles.get(title_of(i)) == 1)
    )
    report.check("create audit events", n, audits)
    report.check("turn records", n, sum(int(row[2]) for row in records))
    report.info("model calls to the provider", len(provider.requests))
    for kind in ("429", "500", "timeout", "malformed"):
        report.info(f"faults injected: {kind}", chaos.faults.get(kind, 0))
    report.info("turns served by the provider", sum(1 for r in answered if r.model == MODEL))
    report.info("turns served by offline (fallback)", sum(1 for r in answered if r.model != MODEL))
    report.info("turns flagged degraded", sum(1 for r in answered if r.degraded))
    for model, degraded, count in records:
        report.info(f"agent_turns rows model={model} degraded={degraded}", count)
    missing = [
        (i, r)
        for i, r in enumerate(results)
        if not isinstance(r, Exception) and not titles.get(title_of(i))
    ]
    shapes = Counter(
        f"model={r.model} calls={[(c.tool, c.ok) for c in r.tool_calls]} reply={r.reply[:60]!r}"
        for _, r in missing
    )
    for shape, count in shapes.most_common(4):
        report.note(f"{count} turns without their task: {shape}")
    if raised:
        report.note(f"first exception: {raised[0]!r}")
    errors = Counter(str(r.error)[:80] for r in answered if r.error)
    for error, count in errors.most_common(3):
        report.note(f"{count} turns failed with: {error}")
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
