"""Drill: a redelivery storm across two replicas sharing PostgreSQL and Redis.

Run: `python bench/drills/redelivery_storm.py [--events 1000] [--delay 2] [--workers 32]`.

N distinct `app_mention` events ("<@U0BOT> add a task to drill item 00042"), each delivered
4 times (the original and retries 1-3 with `X-Slack-Retry-Num`/`X-Slack-Retry-Reason`),
alternating between two `taskpilot serve` processes (offline model, one PostgreSQL database,
the delivery ledger in Redis db 13, Web API = `LocalSlackWebAPI`). A third of the events get
all four copies at once; a third get the original first and the three retries after `--delay`
seconds (usually after the reply was posted); a third get the original and retry 1 at once
and retries 2-3 after the delay. Expected: every delivery acknowledged with 200, exactly N
tasks (one per event title) and exactly N `chat.postMessage` replies (one per event thread).
Exits 1 when a count differs.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
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

from devtools.local_web_api import LocalSlackWebAPI
from tests.serve_process import free_port, running_serve, serve_env
from tests.slack_app.support import app_mention, event_callback

Delivery = tuple[int, int, int]  # (event index, retry number, server index)


def title_of(index: int) -> str:
    return f"Drill item {index:05d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=2.0, help="seconds before late retries")
    parser.add_argument("--workers", type=int, default=32, help="concurrent deliveries")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    n: int = args.events
    rng = random.Random(args.seed)
    report = Report(f"redelivery storm: {n} events x 4 deliveries, 2 replicas")

    bodies: list[bytes] = []
    threads: list[str] = []
    for index in range(n):
        ts = f"1720000000.{index:06d}"
        threads.append(ts)
        bodies.append(
            event_callback(
                app_mention(f"<@U0BOT> add a task to drill item {index:05d}", ts=ts),
                event_id=f"EvSTORM{index:06d}",
            )
        )
    now: list[Delivery] = []
    late: list[Delivery] = []
    for index in range(n):
        shape = index % 3
        for retry in range(4):
            target = (index + retry) % 2
            immediate = shape == 0 or retry == 0 or (shape == 2 and retry == 1)
            (now if immediate else late).append((index, retry, target))
    rng.shuffle(now)
    rng.shuffle(late)

    with ExitStack() as stack:
        web = stack.enter_context(LocalSlackWebAPI())
        database_url = stack.enter_context(scratch_database("drill_storm"))
        redis_url = stack.enter_context(scratch_redis())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drill-")))
        servers = []
        for _ in range(2):
            env = serve_env(
                database_url=database_url,
                port=free_port(),
                web_api=web.base_url,
                REDIS_URL=redis_url,
                LOG_LEVEL="WARNING",
                **UNLIMITED,
            )
            servers.append(stack.enter_context(running_serve(env, cwd=workdir)))
        web.wait_for("users.list", count=2, timeout=30)
        urls = [server.url for server in servers]
        statuses: Counter[int] = Counter()
        client = stack.enter_context(
            httpx.Client(limits=httpx.Limits(max_connections=args.workers * 2))
        )

        def deliver(delivery: Delivery) -> None:
            index, retry, target = delivery
            statuses[post_slack(client, urls[target], bodies[index], retry=retry)] += 1

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(deliver, now))
        first_wave = time.monotonic() - started
        time.sleep(args.delay)
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(deliver, late))
        wait_until(
            lambda: len(web.calls_to("chat.postMessage")) >= n, timeout=60 + n * 0.2, interval=0.5
        )
        # Give a wrongly doubled turn the same chance to answer.
        time.sleep(3)
        elapsed = time.monotonic() - started

        replies = web.calls_to("chat.postMessage")
        per_thread = Counter(str(call.args.get("thread_ts")) for call in replies)
        titles = Counter(
            str(row[0])
            for row in query(database_url, "SELECT title FROM tasks WHERE team_id = :t", t=TEAM)
        )
        done = query(database_url, "SELECT count(*) FROM slack_deliveries WHERE status = 'done'")
        logs = "".join(server.log for server in servers)

        report.check("deliveries acknowledged 200", 4 * n, statuses.get(200, 0))
        report.check("tasks in the database", n, sum(titles.values()))
        report.check(
            "events with exactly one task",
            n,
            sum(1 for index in range(n) if titles.get(title_of(index)) == 1),
        )
        report.check("chat.postMessage replies", n, len(replies))
        report.check(
            "event threads answered exactly once",
            n,
            sum(1 for ts in threads if per_thread.get(ts) == 1),
        )
        report.check("Tracebacks in the server logs", 0, logs.count("Traceback"))
        report.info("slack_deliveries rows done (Redis ledger: expect 0)", done[0][0])
        report.info("other statuses", dict(statuses - Counter({200: statuses.get(200, 0)})))
        report.info("first wave seconds", f"{first_wave:.1f}")
        report.info("total seconds", f"{elapsed:.1f}")
        report.info("takeovers logged", logs.count("took over a Slack event"))
        other = Counter(
            str(call.args.get("text"))[:70]
            for call in replies
            if not str(call.args.get("text")).startswith("Created")
        )
        report.info("replies that do not say Created", sum(other.values()))
        for reply_text, count in other.most_common(3):
            report.note(f"{count} replies said: {reply_text!r}")
        doubled = [ts for ts, count in per_thread.items() if count > 1]
        if doubled:
            report.note(f"threads answered more than once (first 5): {doubled[:5]}")
        extra = [title for title, count in titles.items() if count > 1]
        if extra:
            report.note(f"titles created more than once (first 5): {extra[:5]}")
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
