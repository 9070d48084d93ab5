"""Drill: soak. Mixed REST + Slack + agent load on one server for `--minutes`.

Run: `python bench/drills/soak.py [--minutes 10] [--writers 3] [--slack-rate 3]`.

One `taskpilot serve` (fresh PostgreSQL database, Redis db 13, offline model). For `--minutes`:
`--writers` REST threads cycling POST /api/v1/tasks (with an Idempotency-Key), GET
/api/v1/tasks and POST /api/v1/agent/turns ("add a task to soak agent item 00042"); and
`--slack-rate` app_mention events per second, alternating "add a task to soak item N" and
"what are my open tasks?". Every 5 s: the server's RSS (psutil if installed, else /proc) and
the number of backends on the drill's database (`pg_stat_activity`).

Expected: zero 5xx and zero dropped connections, every Slack event acknowledged and answered
once, every REST and Slack create made exactly one task, no "QueuePool limit" in the log.
RSS growth (mean of the last minute vs. the first; with under 3 minutes, the last third vs.
the first) is reported, and checked (at most 20%) for runs of 5 minutes or more, where warm-up
no longer dominates. Exits 1 when a count differs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack

import httpx
from _common import (  # pyright: ignore[reportMissingImports]
    TEAM,
    Report,
    backend_count,
    drill_server,
    post_slack,
    query,
    rss_kib,
    wait_until,
)

from tests.slack_app.support import app_mention, event_callback

SAMPLE_SECONDS = 5.0
GROWTH_LIMIT = 0.20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--slack-rate", type=float, default=3.0)
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    report = Report(f"soak: {args.minutes:g} min of mixed REST + Slack + agent load")

    with ExitStack() as stack:
        drill = stack.enter_context(
            drill_server(
                stack,
                database_prefix="drill_soak",
                key_name="soak drill",
                scopes="tasks:read,tasks:write,agent:run",
            )
        )
        web, database_url, server, headers = (
            drill.web,
            drill.database_url,
            drill.serve,
            drill.headers,
        )
        stop = threading.Event()
        lock = threading.Lock()
        statuses: Counter[str] = Counter()
        created: list[str] = []
        counter = iter(range(10**7))

        def rest() -> None:
            with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
                while not stop.is_set():
                    with lock:
                        index = next(counter)
                    kind = ("create", "list", "agent")[index % 3]
                    try:
                        if kind == "create":
                            title = f"Soak write {index:06d}"
                            answer = client.post(
                                "/api/v1/tasks",
                                json={"title": title},
                                headers={"Idempotency-Key": f"soak-{index}"},
                            )
                        elif kind == "list":
                            title = ""
                            answer = client.get("/api/v1/tasks", params={"limit": 50})
                        else:
                            title = f"Soak agent item {index:06d}"
                            answer = client.post(
                                "/api/v1/agent/turns",
                                json={
                                    "user": "U0ALICE",
                                    "text": f"add a task to soak agent item {index:06d}",
                                },
                            )
                        status = str(answer.status_code)
                    except httpx.TransportError as error:
                        title, status = "", type(error).__name__
                    with lock:
                        statuses[f"{kind} {status}"] += 1
                        if title and status in ("200", "201"):
                            created.append(title)
                    time.sleep(0.02)

        slack_sent: list[str] = []
        slack_acks: Counter[int] = Counter()

        def slack() -> None:
            with httpx.Client() as client:
                index = 0
                while not stop.is_set():
                    ts = f"1750000000.{index:06d}"
                    said = (
                        f"<@U0BOT> add a task to soak item {index:06d}"
                        if index % 2 == 0
                        else "<@U0BOT> what are my open tasks?"
                    )
                    body = event_callback(app_mention(said, ts=ts), event_id=f"EvSOAK{index:07d}")
                    slack_acks[post_slack(client, server.url, body)] += 1
                    slack_sent.append(ts)
                    index += 1
                    time.sleep(1 / args.slack_rate)

        samples: list[tuple[float, int, int]] = []
        threads = [threading.Thread(target=rest) for _ in range(args.writers)]
        threads.append(threading.Thread(target=slack))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < seconds:
            samples.append(
                (
                    time.monotonic() - started,
                    rss_kib(server.process.pid),
                    backend_count(database_url),
                )
            )
            time.sleep(min(SAMPLE_SECONDS, max(0.0, seconds - (time.monotonic() - started))))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        wait_until(lambda: len(web.calls_to("chat.postMessage")) >= len(slack_sent), timeout=60)
        time.sleep(2)
        samples.append((time.monotonic() - started, rss_kib(server.process.pid), 0))
        log = server.log
        alive = server.process.poll() is None
        rows = query(database_url, "SELECT title FROM tasks WHERE team_id = :t", t=TEAM)
        titles = Counter(str(row[0]) for row in rows)

    replies = web.calls_to("chat.postMessage")
    per_thread = Counter(str(call.args.get("thread_ts")) for call in replies)
    window = 60.0 if seconds >= 180 else seconds / 3
    first = [rss for at, rss, _ in samples if at <= window]
    last = [rss for at, rss, _ in samples if at >= samples[-1][0] - window]
    first_mib = statistics.mean(first) / 1024
    last_mib = statistics.mean(last) / 1024
    growth = (last_mib - first_mib) / first_mib if first_mib else 0.0
    five_xx = sum(count for key, count in statuses.items() if key.split()[1].startswith("5"))
    dropped = sum(count for key, count in statuses.items() if not key.split()[1].isdigit())
    slack_creates = [int(ts.split(".")[1]) for ts in slack_sent if int(ts.split(".")[1]) % 2 == 0]

    report.info("REST requests by kind and status", dict(sorted(statuses.items())))
    report.check("REST 5xx answers", 0, five_xx)
    report.check("REST connections dropped", 0, dropped)
    report.check("Slack events acknowledged 200", len(slack_sent), slack_acks.get(200, 0))
    report.check(
        "Slack events answered exactly once",
        len(slack_sent),
        sum(1 for ts in slack_sent if per_thread.get(ts) == 1),
    )
    report.check(
        "Slack creates with exactly one task",
        len(slack_creates),
        sum(1 for i in slack_creates if titles.get(f"Soak item {i:06d}") == 1),
    )
    report.check(
        "REST/agent creates with exactly one task",
        len(created),
        sum(1 for title in created if titles.get(title) == 1),
    )
    report.check("server still running", True, alive)
    report.check("'QueuePool limit' in the log", 0, log.count("QueuePool limit"))
    report.check("Tracebacks in the log", 0, log.count("Traceback"))
    report.info("RSS samples", len(samples))
    report.info(f"RSS mean, first {window:.0f} s (MiB)", f"{first_mib:.1f}")
    report.info(f"RSS mean, last {window:.0f} s (MiB)", f"{last_mib:.1f}")
    report.info("RSS peak (MiB)", f"{max(rss for _, rss, _ in samples) / 1024:.1f}")
    # The mean of each fifth of the run: whether the growth levels off or keeps climbing.
    span = samples[-1][0] or 1.0
    fifths = [
        [rss for at, rss, _ in samples if part * span / 5 <= at <= (part + 1) * span / 5]
        for part in range(5)
    ]
    report.info(
        "RSS mean by fifth of the run (MiB)",
        " / ".join(f"{statistics.mean(part) / 1024:.1f}" for part in fifths if part),
    )
    if args.minutes >= 5:
        report.check(f"RSS growth at most {GROWTH_LIMIT:.0%}", True, growth <= GROWTH_LIMIT)
        report.info("RSS growth", f"{growth:+.1%}")
    else:
        report.info("RSS growth (not checked under 5 min)", f"{growth:+.1%}")
    report.info("DB backends, max sampled", max(backends for _, _, backends in samples))
    texts = Counter(
        str(call.args.get("text"))[:60]
        for call in replies
        if "couldn't" in str(call.args.get("text")) or "wrong" in str(call.args.get("text"))
    )
    for reply_text, count in texts.most_common(2):
        report.note(f"{count} Slack replies said: {reply_text!r}")
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
