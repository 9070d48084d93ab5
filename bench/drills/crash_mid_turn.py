"""Drill: SIGKILL a server with agent turns in flight, restart it, replay Slack's retries.

Run: `python bench/drills/crash_mid_turn.py [--turns 50] [--lease 2]`.

One `taskpilot serve` (PostgreSQL, the delivery ledger in Redis db 13,
`SLACK_DELIVERY_LEASE_SECONDS=--lease`) whose model is `openai/gpt-4.1-mini` pointed at the
scripted provider (`evals.scripted_provider`), which answers each mention
"<@U0BOT> add a task to drill item 00042" with one `create_task` call. N `app_mention`
events are delivered; then, with every turn in flight, the server is killed with SIGKILL:

- group "before write" (even events): the provider holds its answer 30 s, so the turn is
  waiting on the model and nothing is written yet;
- group "after write" (odd events): the provider answers at once, the task is written, and
  the reply (`chat.postMessage`) is held in the local Web API, so the turn dies between its
  write and its answer.

A new server is started on the same database and Redis (the provider now answers at once),
and after the lease Slack's retries are replayed: retry 1 for every event, then retries 2 and 3
once answered. Expected: every event has exactly one task (none lost, none doubled) and exactly
one reply delivered after the restart. Exits 1 when a count differs.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args(argv)
    n: int = args.turns
    report = Report(f"crash mid-turn: SIGKILL with {n} turns in flight, restart, retries")
    model = Model()
    bodies = [
        event_callback(
            app_mention(
                f"<@U0BOT> add a task to drill item {index:05d}", ts=f"1730000000.{index:06d}"
            ),
            event_id=f"EvCRASH{index:06d}",
        )
        for index in range(n)
    ]
    after_write = [index for index in range(n) if index % 2 == 1]

    with ExitStack() as stack:
        web = stack.enter_context(LocalSlackWebAPI())
        provider = stack.enter_context(ScriptedProvider(default=model))
        database_url = stack.enter_context(scratch_database("drill_crash"))
        redis_url = stack.enter_context(scratch_redis())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drill-")))
        client = stack.enter_context(httpx.Client(limits=httpx.Limits(max_connections=64)))

        def env() -> dict[str, str]:
            return serve_env(
                database_url=database_url,
                port=free_port(),
                web_api=web.base_url,
                REDIS_URL=redis_url,
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

        holds: list[threading.Event] = [web.hold("chat.postMessage") for _ in after_write]
        with running_serve(env(), cwd=workdir) as first:
            web.wait_for("users.list", timeout=30)
            with ThreadPoolExecutor(max_workers=16) as pool:
                acks = list(pool.map(lambda body: post_slack(client, first.url, body), bodies))
            report.check("originals acknowledged 200", n, acks.count(200))
            # Every turn is in flight: the slow ones wait on the model, the others on Slack.
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
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            report.info("tasks written when killed", written_at_kill)
            report.info("server exit status", first.process.returncode)
        killed_at = time.monotonic()
        held_before_kill = len(web.calls_to("chat.postMessage"))
        for release in holds:
            release.set()
        model.slow = False

        with running_serve(env(), cwd=workdir) as second:
            time.sleep(max(0.0, args.lease + 1.0 - (time.monotonic() - killed_at)))
            with ThreadPoolExecutor(max_workers=16) as pool:
                retries = list(
                    pool.map(lambda body: post_slack(client, second.url, body, retry=1), bodies)
                )
            report.check("retry 1 acknowledged 200", n, retries.count(200))
            wait_until(
                lambda: len(web.calls_to("chat.postMessage")) - held_before_kill >= n,
                timeout=60 + n,
            )
            late: list[int] = []
            for retry in (2, 3):
                late += [post_slack(client, second.url, body, retry=retry) for body in bodies]
            report.check("retries 2-3 acknowledged 200", 2 * n, late.count(200))
            time.sleep(3)
            log = second.log

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
        report.info("takeovers logged by the new server", log.count("took over a Slack event"))
        report.check("Tracebacks in the new server's log", 0, log.count("Traceback"))
        report.note(
            "replies held when the server died were never delivered to Slack in this drill; "
            "had Slack received one before the crash, that event would be answered twice."
        )
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
