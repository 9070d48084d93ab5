"""Drill: SIGKILL a turn worker with agent turns in flight; another worker takes them over.

Run: `python bench/drills/worker_crash.py [--turns 50] [--lease 2]`.

`taskpilot serve` with `TASKPILOT_TURN_QUEUE=redis` (PostgreSQL, Redis db 13,
`SLACK_DELIVERY_LEASE_SECONDS=--lease`) queues N `app_mention` events; one `taskpilot slack
worker` takes them. The model is `openai/gpt-4.1-mini` pointed at the scripted provider
(`evals.scripted_provider`), which answers "<@U0BOT> add a task to drill item 00042" with one
`create_task` call. With every turn in flight the worker is killed with SIGKILL:

- group "before write" (even events): the provider holds its answer 30 s, so the turn is
  waiting on the model and nothing is written yet;
- group "after write" (odd events): the provider answers at once, the task is written, and
  the reply (`chat.postMessage`) is held in the local Web API, so the turn dies between its
  write and its answer.

A second worker is started (the provider now answers at once). Unlike the inline drill
(`crash_mid_turn.py`), no retry from Slack is needed: the jobs the dead worker held are still
pending in the stream, and the new worker takes them over once they have been idle for the
lease. Expected: every event has exactly one task (none lost, none doubled), exactly one reply
delivered after the restart, and an empty stream. Exits 1 when a count differs.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import tempfile
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import redis
from _common import (  # pyright: ignore[reportMissingImports]
    TEAM,
    UNLIMITED,
    Report,
    post_slack,
    query,
    scratch_database,
    scratch_redis,
    wait_until,
)

from evals.scripted_provider import RecordedRequest, Reply, ScriptedProvider, text, tool_calls
from slack_app.local_web_api import LocalSlackWebAPI
from slack_app.turn_queue import STREAM
from tests.serve_process import free_port, running_serve, serve_env
from tests.slack_app.support import app_mention, event_callback

MODEL = "openai/gpt-4.1-mini"
ITEM = re.compile(r"drill item (\d{5})")
SLOW_SECONDS = 30.0


def title_of(index: int) -> str:
    return f"Drill item {index:05d}"


class Model:
    """The scripted provider's answers: create the mentioned item, slowly for even items
    while `slow` is set; after a tool result, a short text."""

    def __init__(self) -> None:
        self.slow = True

    def __call__(self, request: RecordedRequest) -> Reply:
        messages = request.messages
        if messages and messages[-1].get("role") == "tool":
            return text("Done.")
        said = " ".join(str(m.get("content")) for m in messages if m.get("role") == "user").lower()
        found = ITEM.findall(said)
        if not found:
            return text("Which item?")
        index = int(found[-1])
        reply = tool_calls(("create_task", {"title": title_of(index)}))
        if self.slow and index % 2 == 0:
            return Reply(
                message=reply.message, finish_reason=reply.finish_reason, delay=SLOW_SECONDS
            )
        return reply


def _stream_length(redis_url: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.xlen(STREAM))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args(argv)
    n: int = args.turns
    report = Report(f"worker crash: SIGKILL a turn worker with {n} turns in flight, take over")
    model = Model()
    bodies = [
        event_callback(
            app_mention(
                f"<@U0BOT> add a task to drill item {index:05d}", ts=f"1730000000.{index:06d}"
            ),
            event_id=f"EvWCRASH{index:06d}",
        )
        for index in range(n)
    ]
    after_write = [index for index in range(n) if index % 2 == 1]

    with ExitStack() as stack:
        web = stack.enter_context(LocalSlackWebAPI())
        provider = stack.enter_context(ScriptedProvider(default=model))
        database_url = stack.enter_context(scratch_database("drill_wcrash"))
        redis_url = stack.enter_context(scratch_redis())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drill-")))
        client = stack.enter_context(httpx.Client(limits=httpx.Limits(max_connections=64)))

        def env() -> dict[str, str]:
            return serve_env(
                database_url=database_url,
                port=free_port(),
                web_api=web.base_url,
                REDIS_URL=redis_url,
                TASKPILOT_TURN_QUEUE="redis",
                SLACK_DELIVERY_LEASE_SECONDS=str(args.lease),
                TASKPILOT_MODELS=MODEL,
                TASKPILOT_LLM_BASE_URL=provider.base_url,
                TASKPILOT_LLM_API_KEY="sk-drill",
                OPENAI_API_KEY="sk-drill",
                TASKPILOT_LLM_TIMEOUT="60",
                TASKPILOT_LLM_RETRIES="0",
                TASKPILOT_DAILY_TOKENS_PER_USER="1000000000",
                TASKPILOT_DAILY_TOKENS_PER_TEAM="1000000000",
                LITELLM_LOCAL_MODEL_COST_MAP="True",
                LOG_LEVEL="WARNING",
                **UNLIMITED,
            )

        worker_command = ("slack", "worker")
        holds: list[threading.Event] = [web.hold("chat.postMessage") for _ in after_write]
        server = stack.enter_context(running_serve(env(), cwd=workdir))
        web.wait_for("users.list", timeout=30)
        with running_serve(env(), cwd=workdir, command=worker_command, migrate=False) as first:
            with ThreadPoolExecutor(max_workers=16) as pool:
                acks = list(pool.map(lambda body: post_slack(client, server.url, body), bodies))
            report.check("events acknowledged 200", n, acks.count(200))
            # Every turn is in flight in the worker: the slow ones wait on the model, the
            # others on Slack.
            in_flight = wait_until(
                lambda: (
                    len(provider.requests) >= n
                    and len(web.calls_to("chat.postMessage")) >= len(after_write)
                ),
                timeout=60,
            )
            report.check("all turns in flight at the kill", True, in_flight)
            written_at_kill = query(
                database_url, "SELECT count(*) FROM tasks WHERE team_id = :t", t=TEAM
            )[0][0]
            report.info("jobs in the stream at the kill", _stream_length(redis_url))
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            report.info("tasks written when killed", written_at_kill)
            report.info("worker exit status", first.process.returncode)
        held_before_kill = len(web.calls_to("chat.postMessage"))
        for release in holds:
            release.set()
        model.slow = False

        with running_serve(env(), cwd=workdir, command=worker_command, migrate=False) as second:
            answered = wait_until(
                lambda: (
                    len(web.calls_to("chat.postMessage")) - held_before_kill >= n
                    and _stream_length(redis_url) == 0
                ),
                timeout=60 + n,
            )
            report.check("every job taken over and finished", True, answered)
            log = second.log
        server_log = server.log

        replies = web.calls_to("chat.postMessage")[held_before_kill:]
        per_thread = Counter(str(call.args.get("thread_ts")) for call in replies)
        rows = query(database_url, "SELECT title FROM tasks WHERE team_id = :t", t=TEAM)
        titles = Counter(str(row[0]) for row in rows)
        groups = {"before write": range(0, n, 2), "after write": range(1, n, 2)}
        for name, indexes in groups.items():
            report.check(
                f"[{name}] events with exactly one task",
                len(indexes),
                sum(1 for i in indexes if titles.get(title_of(i)) == 1),
            )
            report.info(
                f"[{name}] events with no task (lost)",
                sum(1 for i in indexes if not titles.get(title_of(i))),
            )
            report.info(
                f"[{name}] events with 2+ tasks (doubled)",
                sum(1 for i in indexes if titles.get(title_of(i), 0) > 1),
            )
        report.check("tasks in the database", n, sum(titles.values()))
        report.check(
            "events answered exactly once after the restart",
            n,
            sum(1 for i in range(n) if per_thread.get(f"1730000000.{i:06d}") == 1),
        )
        report.check("replies after the restart", n, len(replies))
        report.check("jobs left in the stream", 0, _stream_length(redis_url))
        report.check(
            "takeovers logged by the new worker",
            n,
            log.count("took over a queued Slack job"),
        )
        report.check("Tracebacks in the new worker's log", 0, log.count("Traceback"))
        report.check("Tracebacks in the server's log", 0, server_log.count("Traceback"))
        report.note(
            "replies held when the worker died were never delivered to Slack in this drill; "
            "had Slack received one before the crash, that event would be answered twice."
        )
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
