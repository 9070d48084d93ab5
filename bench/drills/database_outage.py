"""Drill: PostgreSQL connections killed and the database unreachable, under load.

Run: `python bench/drills/database_outage.py [--seconds 24] [--writers 4] [--slack-rate 4]`.

One `taskpilot serve` on a fresh PostgreSQL database (Redis db 13 for the ledger and rate
limits, offline model). Load for `--seconds`: `--writers` threads POST /api/v1/tasks with an
API key (made with `tasks.api_keys.ApiKeyService`), each write with its own Idempotency-Key and
retried with the same key (up to 30 s) while it fails; and `--slack-rate` app_mention events
per second ("add a task to outage item 00042"), re-delivered with Slack's retry headers when
not acknowledged with 200. Faults, on the drill's database only (the PostgreSQL server is never
stopped: other sessions share it):

- at 3, 6 and 9 s: `pg_terminate_backend` on every backend of the database;
- at 12 s: `ALTER DATABASE ... ALLOW_CONNECTIONS false` and terminate every backend, for
  `--outage` seconds (default 4), then allow connections again.

Expected: failed requests fail fast (within 5 s, with a 503, or a 409 while the key's earlier
attempt is still held because its release failed with the database, each with Retry-After),
the server recovers by itself (a write
succeeds within 10 s of the outage's end, without a restart), every acknowledged write (201)
is in the database, every task has its `create` audit event, each write made exactly one
task, replaying each acknowledged write's Idempotency-Key returns the stored response, and no
Slack event was lost silently or answered twice. Exits 1 when a count differs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import (  # pyright: ignore[reportMissingImports]
    TEAM,
    Report,
    allow_connections,
    drill_server,
    post_slack,
    query,
    terminate_backends,
    wait_until,
)

from tests.slack_app.support import app_mention, event_callback

FAIL_FAST_SECONDS = 5.0
RECOVER_SECONDS = 10.0


@dataclass
class Write:
    index: int
    key: str
    body: dict[str, Any]
    # Each attempt's status (0: no answer), seconds, and whether it said when to retry.
    attempts: list[tuple[int, float, bool]] = field(default_factory=list[tuple[int, float, bool]])
    stored: dict[str, Any] | None = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=24.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--slack-rate", type=float, default=4.0)
    parser.add_argument("--outage", type=float, default=4.0)
    args = parser.parse_args(argv)
    report = Report("database outage: backends terminated, connections refused, under load")

    with ExitStack() as stack:
        drill = stack.enter_context(
            drill_server(
                stack,
                database_prefix="drill_outage",
                key_name="outage drill",
                scopes="tasks:read,tasks:write",
            )
        )
        web, database_url, server, headers = (
            drill.web,
            drill.database_url,
            drill.serve,
            drill.headers,
        )
        client = stack.enter_context(httpx.Client(base_url=server.url, headers=headers, timeout=30))
        stop = threading.Event()
        writes: list[Write] = []
        lock = threading.Lock()
        counter = iter(range(10**6))
        dropped: Counter[str] = Counter()

        def writer() -> None:
            while not stop.is_set():
                with lock:
                    index = next(counter)
                write = Write(
                    index=index,
                    key=f"drill-outage-{index:05d}",
                    body={"title": f"Outage write {index:05d}"},
                )
                with lock:
                    writes.append(write)
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    started = time.monotonic()
                    try:
                        response = client.post(
                            "/api/v1/tasks",
                            json=write.body,
                            headers={"Idempotency-Key": write.key},
                        )
                        status = response.status_code
                        retry_after = "retry-after" in response.headers
                    except httpx.TransportError as error:
                        response, status, retry_after = None, 0, False
                        with lock:
                            dropped[type(error).__name__] += 1
                    write.attempts.append((status, time.monotonic() - started, retry_after))
                    if status == 201 and response is not None:
                        write.stored = response.json()
                        break
                    time.sleep(0.3)
                time.sleep(0.05)

        slack_events: list[tuple[str, list[int]]] = []

        def slack() -> None:
            slack_client = httpx.Client()
            index = 0
            while not stop.is_set():
                ts = f"1740000000.{index:06d}"
                body = event_callback(
                    app_mention(f"<@U0BOT> add a task to outage item {index:05d}", ts=ts),
                    event_id=f"EvOUTAGE{index:06d}",
                )
                statuses: list[int] = []
                for retry in range(4):
                    statuses.append(post_slack(slack_client, server.url, body, retry=retry))
                    if statuses[-1] == 200:
                        break
                    time.sleep(1)
                slack_events.append((ts, statuses))
                index += 1
                time.sleep(1 / args.slack_rate)
            slack_client.close()

        faults: list[str] = []

        def chaos(started: float) -> float:
            for at in (3.0, 6.0, 9.0):
                time.sleep(max(0.0, started + at - time.monotonic()))
                faults.append(f"t={at:.0f}s terminated {terminate_backends(database_url)}")
            time.sleep(max(0.0, started + 12.0 - time.monotonic()))
            allow_connections(database_url, False)
            faults.append(
                f"t=12s refused connections, terminated {terminate_backends(database_url)}"
            )
            time.sleep(args.outage)
            allow_connections(database_url, True)
            faults.append(f"t={12 + args.outage:.0f}s connections allowed again")
            return time.monotonic()

        started = time.monotonic()
        workers = [threading.Thread(target=writer) for _ in range(args.writers)]
        workers.append(threading.Thread(target=slack))
        for worker in workers:
            worker.start()
        reopened = chaos(started)
        # The server must recover by itself: a fresh write succeeds soon after the outage.
        recovered_after: float | None = None
        probe_deadline = reopened + RECOVER_SECONDS
        probe = 0
        while time.monotonic() < probe_deadline:
            try:
                answer = client.post(
                    "/api/v1/tasks",
                    json={"title": f"Recovery probe {probe}"},
                    headers={"Idempotency-Key": f"drill-probe-{probe}"},
                    timeout=5,
                )
                if answer.status_code == 201:
                    recovered_after = time.monotonic() - reopened
                    break
            except httpx.TransportError:
                pass
            probe += 1
            time.sleep(0.2)
        time.sleep(max(0.0, started + args.seconds - time.monotonic()))
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        wait_until(lambda: len(web.calls_to("chat.postMessage")) >= len(slack_events), timeout=30)
        time.sleep(2)

        # Replay every acknowledged write with its Idempotency-Key: the stored response.
        acknowledged = [w for w in writes if w.stored is not None]
        replay_same = 0
        for write in acknowledged:
            again = client.post(
                "/api/v1/tasks", json=write.body, headers={"Idempotency-Key": write.key}
            )
            if again.status_code == 201 and again.json() == write.stored:
                replay_same += 1

        alive = server.process.poll() is None
        log = server.log
        tasks = query(database_url, "SELECT number, title FROM tasks WHERE team_id = :t", t=TEAM)
        numbers = {int(row[0]) for row in tasks}
        titles = Counter(str(row[1]) for row in tasks)
        orphans = query(
            database_url,
            "SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM audit_events a "
            "WHERE a.team_id = t.team_id AND a.task_number = t.number AND a.action = 'create')",
        )[0][0]

    attempts = [attempt for write in writes for attempt in write.attempts]
    failed = [attempt for attempt in attempts if attempt[0] not in (200, 201)]
    statuses = Counter(status for status, _, _ in attempts)
    replies = web.calls_to("chat.postMessage")
    per_thread = Counter(str(call.args.get("thread_ts")) for call in replies)
    slack_acked = [ts for ts, codes in slack_events if codes[-1] == 200]
    item_of = {ts: int(ts.split(".")[1]) for ts, _ in slack_events}

    report.info("REST write attempts", len(attempts))
    report.info("REST statuses", dict(sorted(statuses.items())))
    report.note("faults: " + "; ".join(faults))
    report.info("connections dropped without an answer (status 0)", dict(dropped))
    report.check("server still running (no restart)", True, alive)
    report.check(
        f"failed attempts answered within {FAIL_FAST_SECONDS:.0f} s",
        len(failed),
        sum(1 for _, seconds, _ in failed if seconds <= FAIL_FAST_SECONDS),
    )
    report.info("slowest failed attempt (s)", f"{max((s for _, s, _ in failed), default=0):.2f}")
    report.check(
        # A 503 (the database is out) or a 409 (the key's earlier attempt is still held:
        # its release failed with the database), each saying when to retry.
        "failed attempts answered 5xx or 409, with Retry-After",
        len(failed),
        sum(1 for s, _, again in failed if (s >= 500 or s == 409) and again),
    )
    report.check(
        f"recovered within {RECOVER_SECONDS:.0f} s of the outage",
        True,
        recovered_after is not None,
    )
    report.info("recovery (s after connections allowed)", f"{recovered_after or -1:.2f}")
    report.check("writes acknowledged (201)", len(writes), len(acknowledged))
    report.check(
        "acknowledged writes in the database",
        len(acknowledged),
        sum(1 for w in acknowledged if w.stored and int(w.stored["id"]) in numbers),
    )
    report.check(
        "writes with exactly one task",
        len(writes),
        sum(1 for w in writes if titles.get(str(w.body["title"])) == 1),
    )
    report.check("tasks without their create audit event", 0, orphans)
    report.check(
        "Idempotency-Key replays returning the stored response", len(acknowledged), replay_same
    )
    report.check(
        "Slack events acknowledged 200 (after retries)", len(slack_events), len(slack_acked)
    )
    with_task = [ts for ts in slack_acked if titles.get(f"Outage item {item_of[ts]:05d}") == 1]
    apologised = [ts for ts in slack_acked if ts not in with_task and per_thread.get(ts)]
    silent = [ts for ts in slack_acked if ts not in with_task and not per_thread.get(ts)]
    report.info("Slack events with their task", len(with_task))
    report.info("Slack events answered with a failure, no task", len(apologised))
    report.check("Slack events lost silently (no task, no reply)", 0, len(silent))
    report.check(
        "Slack events answered more than once", 0, sum(1 for c in per_thread.values() if c > 1)
    )
    report.check(
        "Slack events with 2+ tasks",
        0,
        sum(1 for ts in slack_acked if titles.get(f"Outage item {item_of[ts]:05d}", 0) > 1),
    )
    report.check("'QueuePool limit' in the log", 0, log.count("QueuePool limit"))
    report.info("Tracebacks in the log", log.count("Traceback"))
    texts = Counter(
        str(call.args.get("text"))[:70]
        for call in replies
        if not str(call.args.get("text")).startswith("Created")
    )
    for reply_text, count in texts.most_common(2):
        report.note(f"{count} Slack replies said: {reply_text!r}")
    for write in [w for w in writes if w.stored is None][:3]:
        report.note(f"{write.key} never acknowledged; statuses {[s for s, _, _ in write.attempts]}")
    saved = Path(tempfile.gettempdir()) / "drill-database-outage.log"
    saved.write_text(log)
    report.note(f"server log saved to {saved}")
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
