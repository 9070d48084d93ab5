"""Drill: SIGKILL a turn worker with agent turns in flight; another worker takes them over.

Run: `python bench/drills/worker_crash.py [--turns 50] [--lease 2]`.

`taskpilot serve` with `TASKPILOT_TURN_QUEUE=redis` (PostgreSQL, Redis db 13,
`SLACK_DELIVERY_LEASE_SECONDS=--lease`) queues N `app_mention` events; one `taskpilot slack
worker` takes them. The model is `openai/gpt-4.1-mini` pointed at the scripted provider
(`devtools.scripted_provider`), which answers "<@U0BOT> add a task to drill item 00042" with one
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
import time
from pathlib import Path

import redis
from _common import Report, wait_until  # pyright: ignore[reportMissingImports]
from _crash import check_tasks_and_replies, crash_rig, mentions  # pyright: ignore[reportMissingImports]

from slack_app.delivery.turn_queue import STREAM
from tests.serve_process import running_serve

WORKER = ("slack", "worker")


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
    bodies = mentions(n, event_prefix="EvWCRASH")

    with (
        crash_rig(database_prefix="drill_wcrash", lease=args.lease) as rig,
        running_serve(rig.env(TASKPILOT_TURN_QUEUE="redis"), cwd=rig.workdir) as server,
    ):
        rig.web.wait_for("users.list", timeout=30)
        worker_env = rig.env(TASKPILOT_TURN_QUEUE="redis")
        with running_serve(worker_env, cwd=rig.workdir, command=WORKER, migrate=False) as first:
            rig.deliver_and_hold(
                report, url=server.url, bodies=bodies, label="events acknowledged 200"
            )
            report.info("jobs in the stream at the kill", _stream_length(rig.redis_url))
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            report.info("worker exit status", first.process.returncode)
        held_before_kill = rig.release()

        worker_env = rig.env(TASKPILOT_TURN_QUEUE="redis")
        with running_serve(worker_env, cwd=rig.workdir, command=WORKER, migrate=False) as second:
            started = time.monotonic()
            answered = wait_until(
                lambda: (
                    len(rig.web.calls_to("chat.postMessage")) - held_before_kill >= n
                    and _stream_length(rig.redis_url) == 0
                ),
                timeout=60 + n,
            )
            report.check("every job taken over and finished", True, answered)
            report.info(
                "seconds from the new worker's start to the last reply",
                f"{time.monotonic() - started:.1f}",
            )
            report.info("replies posted by then", len(rig.web.calls_to("chat.postMessage")))
            report.info("jobs in the stream by then", _stream_length(rig.redis_url))
            log = second.log
        server_log = server.log

        check_tasks_and_replies(
            report,
            count=n,
            database_url=rig.database_url,
            web=rig.web,
            replies_before=held_before_kill,
        )
        report.check("jobs left in the stream", 0, _stream_length(rig.redis_url))
        report.check(
            "takeovers logged by the new worker", n, log.count("took over a queued Slack job")
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
