"""Drill: SIGKILL a server with agent turns in flight, restart it, replay Slack's retries.

Run: `python bench/drills/crash_mid_turn.py [--turns 50] [--lease 2]`.

One `taskpilot serve` (PostgreSQL, the delivery ledger in Redis db 13,
`SLACK_DELIVERY_LEASE_SECONDS=--lease`) whose model is `openai/gpt-4.1-mini` pointed at the
scripted provider (`devtools.scripted_provider`), which answers each mention
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
import time

from _common import Report, post_slack, wait_until  # pyright: ignore[reportMissingImports]
from _crash import check_tasks_and_replies, crash_rig, mentions  # pyright: ignore[reportMissingImports]

from tests.serve_process import running_serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--lease", type=float, default=2.0)
    args = parser.parse_args(argv)
    n: int = args.turns
    report = Report(f"crash mid-turn: SIGKILL with {n} turns in flight, restart, retries")
    bodies = mentions(n, event_prefix="EvCRASH")

    with crash_rig(database_prefix="drill_crash", lease=args.lease) as rig:
        with running_serve(rig.env(), cwd=rig.workdir) as first:
            rig.web.wait_for("users.list", timeout=30)
            rig.deliver_and_hold(
                report, url=first.url, bodies=bodies, label="originals acknowledged 200"
            )
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            report.info("server exit status", first.process.returncode)
        killed_at = time.monotonic()
        held_before_kill = rig.release()

        with running_serve(rig.env(), cwd=rig.workdir) as second:
            time.sleep(max(0.0, args.lease + 1.0 - (time.monotonic() - killed_at)))
            retries = [post_slack(rig.client, second.url, body, retry=1) for body in bodies]
            report.check("retry 1 acknowledged 200", n, retries.count(200))
            wait_until(
                lambda: len(rig.web.calls_to("chat.postMessage")) - held_before_kill >= n,
                timeout=60 + n,
            )
            late: list[int] = []
            for retry in (2, 3):
                late += [post_slack(rig.client, second.url, body, retry=retry) for body in bodies]
            report.check("retries 2-3 acknowledged 200", 2 * n, late.count(200))
            time.sleep(3)
            log = second.log

        check_tasks_and_replies(
            report,
            count=n,
            database_url=rig.database_url,
            web=rig.web,
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
