"""The queue between the processes that acknowledge Slack and the ones that run agent turns.

With `TASKPILOT_TURN_QUEUE=redis`, `taskpilot serve` acknowledges a mention, a direct message
or a `/task` command by claiming it and appending it to a Redis stream; `taskpilot slack
worker` processes read the stream through a consumer group and run the turns. An
acknowledgement then costs a claim and an append, and no agent turn's CPU work competes with
it for the acknowledging process's interpreter.

A worker acknowledges a job in the stream only when it has finished, and while it works on
it marks it fresh several times per lease (`keep`). Jobs a worker took and did not finish (it
crashed or was killed) go stale and are taken over by another worker once they have been idle
for the Slack delivery lease (`SLACK_DELIVERY_LEASE_SECONDS`); a job delivered
`MAX_DELIVERIES` times is dropped with an error in the log, so that a job that crashes every
worker cannot stop the queue.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

STREAM = "taskpilot:slack:turns"
GROUP = "turn-workers"
# A job delivered this many times without finishing is dropped.
MAX_DELIVERIES = 3
# The stream keeps at most about this many entries; finished jobs are deleted at once, so
# only a backlog this long (hours of turns) would reach it.
MAX_LENGTH = 100_000
# How long a connection may be waited for from the pool before an append fails.
POOL_WAIT_SECONDS = 5.0


class SlackJob(BaseModel):
    """One piece of Slack work waiting for a turn worker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["message", "command"]
    team_id: str
    user_id: str
    # The event of a mention or direct message, or the `/task` command's payload.
    payload: dict[str, Any]
    # The delivery claimed in the ledger (events only), settled when the job is done.
    delivery_key: str | None = None
    # The acknowledging request's id, which the worker's log lines carry too.
    request_id: str | None = None
    # The id the job's audit records name (a command's; a message's is its delivery key).
    audit_id: str | None = None
    slack_event_id: str | None = None
    enqueued_at: float = Field(default_factory=time.time)


@dataclass(frozen=True)
class QueuedJob:
    """A job read from the stream, with what the worker needs to acknowledge it."""

    entry_id: str
    job: SlackJob | None
    deliveries: int


# What XREADGROUP answers: for each stream read, its name and its new entries, each an entry
# id and the entry's fields.
_StreamRead = list[tuple[object, list[tuple[object, object]]]]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _entry_order(entry_id: str) -> tuple[int, int]:
    # Stream ids are "<milliseconds>-<sequence>": ordered by number, not as text.
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


class RedisTurnQueue:
    """Slack jobs on a Redis stream (`REDIS_URL`), read by a consumer group of turn workers."""

    def __init__(
        self,
        url: str,
        *,
        reclaim_after: float,
        stream: str = STREAM,
        group: str = GROUP,
        max_connections: int = 64,
    ) -> None:
        import redis.asyncio as redis_asyncio

        # Waiting for a free connection rather than failing, as the delivery ledger does:
        # appends sit on the acknowledgement path.
        pool: Any = redis_asyncio.BlockingConnectionPool.from_url(  # pyright: ignore[reportUnknownMemberType]
            url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS
        )
        self._redis: Any = redis_asyncio.Redis.from_pool(pool)  # pyright: ignore[reportUnknownMemberType]
        self._stream = stream
        self._group = group
        self._reclaim_ms = int(reclaim_after * 1000)
        self.reclaim_after = reclaim_after
        self._group_ready = False

    async def put(self, job: SlackJob) -> str:
        """Append `job`; its entry id."""
        entry = await self._redis.xadd(
            self._stream,
            {"job": job.model_dump_json()},
            maxlen=MAX_LENGTH,
            approximate=True,
        )
        return _text(entry)

    async def ensure_group(self) -> None:
        """Create the consumer group (and the stream) unless they exist."""
        if self._group_ready:
            return
        import redis.exceptions

        try:
            await self._redis.xgroup_create(self._stream, self._group, id="0", mkstream=True)
        except redis.exceptions.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True

    async def take(self, *, consumer: str, count: int, block: float) -> list[QueuedJob]:
        """Up to `count` new jobs for `consumer`, waiting up to `block` seconds for one."""
        await self.ensure_group()
        answer: _StreamRead | None = await self._redis.xreadgroup(
            self._group,
            consumer,
            {self._stream: ">"},
            count=count,
            block=max(1, int(block * 1000)),
        )
        jobs: list[QueuedJob] = []
        for _stream, entries in answer or []:
            for entry_id, fields in entries:
                jobs.append(self._decode(_text(entry_id), fields, deliveries=1))
        return jobs

    async def reclaim(self, *, consumer: str, count: int) -> list[QueuedJob]:
        """Jobs other workers took and left unfinished for longer than the lease, now
        `consumer`'s; those delivered too often are dropped (logged) instead."""
        await self.ensure_group()
        answer: Any = await self._redis.xautoclaim(
            self._stream, self._group, consumer, self._reclaim_ms, start_id="0-0", count=count
        )
        entries: list[Any] = answer[1] if answer else []
        if not entries:
            return []
        ids = sorted((_text(entry_id) for entry_id, _fields in entries), key=_entry_order)
        # The pending list holds how often each entry was handed out.
        pending: list[dict[str, Any]] | None = await self._redis.xpending_range(
            self._stream, self._group, min=ids[0], max=ids[-1], count=len(ids) * 4
        )
        counts = {_text(item["message_id"]): int(item["times_delivered"]) for item in pending or []}
        jobs: list[QueuedJob] = []
        for entry_id, fields in entries:
            key = _text(entry_id)
            deliveries = counts.get(key, MAX_DELIVERIES)
            if deliveries > MAX_DELIVERIES:
                logger.error(
                    "dropped a queued Slack job that no worker finished",
                    extra={"entry": key, "deliveries": deliveries - 1},
                )
                await self.done(key)
                continue
            jobs.append(self._decode(key, fields, deliveries=deliveries))
        return jobs

    async def keep(self, *, consumer: str, entry_ids: list[str]) -> None:
        """Mark the jobs `consumer` is still working on as fresh, so that no other worker
        takes them over while it lives (the delivery count is left as it is)."""
        if entry_ids:
            await self._redis.xclaim(self._stream, self._group, consumer, 0, entry_ids, justid=True)

    async def done(self, entry_id: str) -> None:
        """Acknowledge and delete a finished job."""
        await self._redis.xack(self._stream, self._group, entry_id)
        await self._redis.xdel(self._stream, entry_id)

    async def depth(self) -> int:
        """Jobs in the stream: waiting or being worked on."""
        return int(await self._redis.xlen(self._stream))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()

    @staticmethod
    def _decode(entry_id: str, fields: Any, *, deliveries: int) -> QueuedJob:
        raw: Any = None
        for name, value in dict(fields).items():
            if _text(name) == "job":
                raw = value
        try:
            job = SlackJob.model_validate_json(raw) if raw is not None else None
        except ValueError:
            job = None
        if job is None:
            logger.error("a queued Slack job could not be read", extra={"entry": entry_id})
        return QueuedJob(entry_id=entry_id, job=job, deliveries=deliveries)


async def submit(queue: RedisTurnQueue, job: SlackJob) -> bool:
    """Put `job` on `queue`; False (logged) when Redis would not take it, for the caller to
    run the job itself rather than lose it."""
    try:
        await queue.put(job)
    except Exception:
        logger.exception("could not queue a Slack job; running it in this process")
        return False
    return True
