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
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
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
from tests.serve_process import running_serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args(argv)
    n: int = args.turns
    report = Report(f"crash mid-turn: SIGKILL with {n} turns in flight, restart, retries")
    model = Model()
    bodies = mentions(n, event_prefix="EvCRASH")
    after_write = [index for index in range(n) if index % 2 == 1]

    with ExitStack() as stack:
        web = stack.enter_context(LocalSlackWebAPI())
        provider = stack.enter_context(ScriptedProvider(default=model))
        database_url = stack.enter_context(scratch_database("drill_crash"))
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

        check_tasks_and_replies(
            report,
            count=n,
            database_url=database_url,
            web=web,
            replies_before=held_before_kill,
        )
        report.info("takeovers logged by the new server", log.count("took over a Slack event"))
        report.check("Tracebacks in the new server's log", 0, log.count("Traceback"))
        report.note(
            "replies held when the server died were never delivered to Slack in this drill; "
            "had Slack received one before the crash, that event would be answered twice."
        )
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
