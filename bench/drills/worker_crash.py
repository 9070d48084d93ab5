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
import signal
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import redis
from _common import (  # pyright: ignore[reportMissingImports]
    TEAM,
    Report,
    post_slack,
    query,
    scratch_database,
    scratch_redis,
    wait_until,
)
from _crash import (  # pyright: ignore[reportMissingImports]
    Model,
    check_tasks_and_replies,
    drill_env,
    mentions,
)

from evals.scripted_provider import ScriptedProvider
from slack_app.local_web_api import LocalSlackWebAPI
from slack_app.turn_queue import STREAM
from tests.serve_process import running_serve


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
    bodies = mentions(n, event_prefix="EvWCRASH")
    after_write = [index for index in range(n) if index % 2 == 1]

    with ExitStack() as stack:
        web = stack.enter_context(LocalSlackWebAPI())
        provider = stack.enter_context(ScriptedProvider(default=model))
        database_url = stack.enter_context(scratch_database("drill_wcrash"))
        redis_url = stack.enter_context(scratch_redis())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drill-")))
        client = stack.enter_context(httpx.Client(limits=httpx.Limits(max_connections=64)))

        def env() -> dict[str, str]:
            return drill_env(
                database_url=database_url,
                redis_url=redis_url,
                web=web,
                provider_url=provider.base_url,
                lease=args.lease,
                TASKPILOT_TURN_QUEUE="redis",
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

        check_tasks_and_replies(
            report,
            count=n,
            database_url=database_url,
            web=web,
            replies_before=held_before_kill,
        )
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
    saved = Path(tempfile.gettempdir()) / "drill-worker-crash.log"
    saved.write_text(log)
    report.note(f"the new worker's log saved to {saved}")
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
