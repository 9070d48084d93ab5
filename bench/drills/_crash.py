"""What the two crash drills share: the scripted model, the events, the server settings and
the counts of tasks and replies at the end (`crash_mid_turn.py`, `worker_crash.py`)."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
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
from devtools.scripted_provider import RecordedRequest, Reply, ScriptedProvider, text, tool_calls
from tests.serve_process import free_port, serve_env
from tests.slack_app.support import app_mention, event_callback

MODEL = "openai/gpt-4.1-mini"
ITEM = re.compile(r"drill item (\d{5})")
SLOW_SECONDS = 30.0


def title_of(index: int) -> str:
    return f"Drill item {index:05d}"


def thread_of(index: int) -> str:
    return f"1730000000.{index:06d}"


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


def mentions(count: int, *, event_prefix: str) -> list[bytes]:
    """`count` app_mention events, each in its own thread, asking for its drill item."""
    return [
        event_callback(
            app_mention(f"<@U0BOT> add a task to drill item {index:05d}", ts=thread_of(index)),
            event_id=f"{event_prefix}{index:06d}",
        )
        for index in range(count)
    ]


def drill_env(
    *,
    database_url: str,
    redis_url: str,
    web: LocalSlackWebAPI,
    provider_url: str,
    lease: float,
    **settings: str,
) -> dict[str, str]:
    """A server's (or worker's) settings: the scripted model, the lease, no limits."""
    return serve_env(
        database_url=database_url,
        port=free_port(),
        web_api=web.base_url,
        REDIS_URL=redis_url,
        SLACK_DELIVERY_LEASE_SECONDS=str(lease),
        TASKPILOT_MODELS=MODEL,
        TASKPILOT_LLM_BASE_URL=provider_url,
        TASKPILOT_LLM_API_KEY="sk-drill",
        OPENAI_API_KEY="sk-drill",
        TASKPILOT_LLM_TIMEOUT="60",
        TASKPILOT_LLM_RETRIES="0",
        TASKPILOT_DAILY_TOKENS_PER_USER="1000000000",
        TASKPILOT_DAILY_TOKENS_PER_TEAM="1000000000",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        # DRILL_LOG_LEVEL=INFO keeps a line per turn in the saved logs, for a failure's story.
        LOG_LEVEL=os.environ.get("DRILL_LOG_LEVEL", "WARNING"),
        **UNLIMITED,
        **settings,
    )


def check_tasks_and_replies(
    report: Report,
    *,
    count: int,
    database_url: str,
    web: LocalSlackWebAPI,
    replies_before: int,
) -> None:
    """Every event has exactly one task (by group) and exactly one reply posted after
    `replies_before`."""
    replies = web.calls_to("chat.postMessage")[replies_before:]
    per_thread = Counter(str(call.args.get("thread_ts")) for call in replies)
    rows = query(database_url, "SELECT title FROM tasks WHERE team_id = :t", t=TEAM)
    titles = Counter(str(row[0]) for row in rows)
    groups = {"before write": range(0, count, 2), "after write": range(1, count, 2)}
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
    report.check("tasks in the database", count, sum(titles.values()))
    report.check(
        "events answered exactly once after the restart",
        count,
        sum(1 for i in range(count) if per_thread.get(thread_of(i)) == 1),
    )
    report.check("replies after the restart", count, len(replies))


@dataclass
class CrashRig:
    """What a crash drill runs against: the local Web API, the scripted provider, a scratch
    database and Redis, a working directory and an HTTP client."""

    web: LocalSlackWebAPI
    provider: ScriptedProvider
    model: Model
    database_url: str
    redis_url: str
    workdir: Path
    client: httpx.Client
    lease: float
    holds: list[threading.Event] = field(default_factory=list[threading.Event])

    def env(self, **settings: str) -> dict[str, str]:
        """A new process's settings (its own port), `settings` added."""
        return drill_env(
            database_url=self.database_url,
            redis_url=self.redis_url,
            web=self.web,
            provider_url=self.provider.base_url,
            lease=self.lease,
            **settings,
        )

    def deliver_and_hold(
        self, report: Report, *, url: str, bodies: list[bytes], label: str
    ) -> None:
        """Deliver every event to `url` and wait until every turn is in flight: the even ones
        waiting on the model, the odd ones written and waiting for Slack to take the reply,
        which is held until `release`."""
        count = len(bodies)
        self.holds = [self.web.hold("chat.postMessage") for _ in range(1, count, 2)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            acks = list(pool.map(lambda body: post_slack(self.client, url, body), bodies))
        report.check(label, count, acks.count(200))
        in_flight = wait_until(
            lambda: (
                len(self.provider.requests) >= count
                and len(self.web.calls_to("chat.postMessage")) >= len(self.holds)
            ),
            timeout=60,
        )
        report.check("all turns in flight at the kill", True, in_flight)
        written = query(self.database_url, "SELECT count(*) FROM tasks WHERE team_id = :t", t=TEAM)
        report.info("tasks written when killed", written[0][0])

    def release(self) -> int:
        """Let the held replies go (the process that posted them is dead) and the model answer
        at once; how many replies were posted before."""
        posted = len(self.web.calls_to("chat.postMessage"))
        for hold in self.holds:
            hold.set()
        self.model.slow = False
        return posted


@contextmanager
def crash_rig(*, database_prefix: str, lease: float) -> Iterator[CrashRig]:
    """A `CrashRig` on fresh scratch stores, torn down afterwards."""
    model = Model()
    with ExitStack() as stack:
        yield CrashRig(
            web=stack.enter_context(LocalSlackWebAPI()),
            provider=stack.enter_context(ScriptedProvider(default=model)),
            model=model,
            database_url=stack.enter_context(scratch_database(database_prefix)),
            redis_url=stack.enter_context(scratch_redis()),
            workdir=Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="drill-"))),
            client=stack.enter_context(httpx.Client(limits=httpx.Limits(max_connections=64))),
            lease=lease,
        )
