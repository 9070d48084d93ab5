"""De-duplication of Slack event deliveries across replicas, in the database or in Redis.

Slack retries an event it thinks was not acknowledged (up to three times, with the same
`event_id`); replicas behind a load balancer may each get a copy. Whichever replica claims the
event first does the work; the others drop it. A claim whose replica has not finished within
the lease may be taken over by a later retry, so that an event whose replica died mid-turn is
still answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from slack_app.models import SlackDelivery
from tasks.models import utcnow

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long a finished event is remembered; Slack's last retry comes within the hour.
REMEMBER_FOR = timedelta(days=1)


def replica_id() -> str:
    """A name for this process among the replicas: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def delivery_key(body: dict[str, Any]) -> str | None:
    """The de-duplication key of an Events API payload (team and event id), else None."""
    if body.get("type") != "event_callback":
        return None
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        return None
    team = body.get("team_id") or body.get("enterprise_id") or "-"
    return f"{team}:{event_id}"


def replay_key(*, raw_body: str, timestamp: str) -> str:
    """The key of a signed slash command or interaction: a digest of its signed bytes (timestamp
    and body). Slack never sends one of those twice (it does not retry them), and a person who
    runs the same command again makes a new request with a new timestamp and trigger, so a
    second request with the same key is a captured request sent again."""
    digest = hashlib.sha256(f"{timestamp}:{raw_body}".encode()).hexdigest()
    return f"replay:{digest}"


class DeliveryLedger(Protocol):
    """Where replicas agree on who handles each event."""

    async def claim(self, key: str) -> bool:
        """True when this replica should handle the event: first delivery, or a takeover of a
        claim whose lease ran out."""
        ...

    async def finish(self, key: str) -> None:
        """Mark the event handled; later deliveries are dropped."""
        ...

    async def release(self, key: str) -> None:
        """Give up this replica's claim of an event it could not handle, so that a later
        delivery of it claims it afresh; a claim that is done or another replica's stays."""
        ...

    async def renew(self, key: str) -> None:
        """Start this replica's lease on a claim it still works on afresh, so that a slow
        turn is not taken for a dead replica's; a claim that is done or another's stays."""
        ...

    async def finished(self, key: str) -> bool:
        """Whether the event was marked handled: its reply reached Slack."""
        ...

    async def prune(self) -> int:
        """Forget events older than a day; returns how many were forgotten."""
        ...


class DatabaseLedger:
    """The ledger in the project's database (SQLite or PostgreSQL): one row per event."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        lease: timedelta,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._lease = lease
        self._owner = owner or replica_id()
        self._clock = clock
        # Claims sit on the acknowledgement path: they get threads of their own rather than
        # queueing in the default executor behind the database work of turns in flight.
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-ledger")

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def claim(self, key: str) -> bool:
        return await self._run(lambda: self._claim(key))

    async def finish(self, key: str) -> None:
        await self._run(lambda: self._finish(key))

    async def release(self, key: str) -> None:
        await self._run(lambda: self._release(key))

    async def renew(self, key: str) -> None:
        await self._run(lambda: self._renew(key))

    async def finished(self, key: str) -> bool:
        return await self._run(lambda: self._finished(key))

    async def prune(self) -> int:
        return await self._run(self._prune)

    def _claim(self, key: str) -> bool:
        now = self._clock()
        try:
            with self._sessions() as session, session.begin():
                session.add(
                    SlackDelivery(key=key, status="claimed", owner=self._owner, claimed_at=now)
                )
            return True
        except IntegrityError:
            pass
        with self._sessions() as session, session.begin():
            row = session.get(SlackDelivery, key)
            if row is None or row.status == "done" or row.claimed_at > now - self._lease:
                return False
            # Compare-and-set on the old claim time, so that of two retries racing to take
            # over a dead replica's claim only one wins.
            result = session.exec(
                update(SlackDelivery)
                .where(
                    col(SlackDelivery.key) == key,
                    col(SlackDelivery.claimed_at) == row.claimed_at,
                    col(SlackDelivery.status) == "claimed",
                )
                .values(owner=self._owner, claimed_at=now, attempts=row.attempts + 1)
            )
            taken = result.rowcount == 1
        if taken:
            logger.warning(
                "took over a Slack event whose replica did not finish",
                extra={"delivery": key, "previous_owner": row.owner},
            )
        return taken

    def _finish(self, key: str) -> None:
        with self._sessions() as session, session.begin():
            session.exec(
                update(SlackDelivery)
                .where(col(SlackDelivery.key) == key)
                .values(status="done", done_at=self._clock())
            )

    def _release(self, key: str) -> None:
        # Only this replica's claim in flight: a claim another replica took over after the
        # lease is theirs to settle, and a finished event stays finished.
        with self._sessions() as session, session.begin():
            session.exec(
                delete(SlackDelivery).where(
                    col(SlackDelivery.key) == key,
                    col(SlackDelivery.status) == "claimed",
                    col(SlackDelivery.owner) == self._owner,
                )
            )

    def _renew(self, key: str) -> None:
        with self._sessions() as session, session.begin():
            session.exec(
                update(SlackDelivery)
                .where(
                    col(SlackDelivery.key) == key,
                    col(SlackDelivery.status) == "claimed",
                    col(SlackDelivery.owner) == self._owner,
                )
                .values(claimed_at=self._clock())
            )

    def _finished(self, key: str) -> bool:
        with self._sessions() as session:
            row = session.get(SlackDelivery, key)
            return row is not None and row.status == "done"

    def _prune(self) -> int:
        cutoff = self._clock() - REMEMBER_FOR
        with self._sessions() as session, session.begin():
            result = session.exec(
                delete(SlackDelivery).where(col(SlackDelivery.claimed_at) < cutoff)
            )
            return result.rowcount


# Claims an event atomically. KEYS: the state key, the lease key. ARGV: this replica, the
# state's time to live (s), the lease (ms). Returns 1 (claimed), 2 (a claim whose lease had
# expired was taken over), 3 (done already), 0 (claimed by a replica whose lease holds).
_CLAIM_SCRIPT = """
if redis.call('SET', KEYS[1], 'claimed', 'NX', 'EX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  return 1
end
if redis.call('GET', KEYS[1]) == 'done' then
  return 3
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[3]) then
  return 2
end
return 0
"""
_CLAIMED, _TAKEN_OVER, _DONE = 1, 2, 3

# Releases this replica's claim. KEYS: the state key, the lease key. ARGV: this replica.
# Deletes both keys when the event is claimed (not done) and the lease is this replica's or
# gone; returns 1 when it did, 0 otherwise.
_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= 'claimed' then
  return 0
end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
"""

# How long a claim waits for a free Redis connection before it fails.
POOL_WAIT_SECONDS = 5.0


# Renews this replica's lease. KEYS: the lease key. ARGV: this replica, the lease (ms).
_RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class RedisLedger:
    """The ledger in Redis (`REDIS_URL`): a state key per event and a lease key per claim."""

    def __init__(
        self,
        url: str,
        *,
        lease: timedelta,
        owner: str | None = None,
        max_connections: int = 64,
    ) -> None:
        import redis.asyncio as redis_asyncio

        # A pool that makes a caller wait for a free connection (each command takes well under
        # a millisecond) rather than fail: under a burst of events the default pool raised
        # "Too many connections" past 100 at once, and Slack got a 500 for an event it then
        # had to deliver again.
        pool: Any = redis_asyncio.BlockingConnectionPool.from_url(  # pyright: ignore[reportUnknownMemberType]
            url, max_connections=max_connections, timeout=POOL_WAIT_SECONDS
        )
        # `from_pool` hands the pool to the client, so that `close` closes it too.
        self._redis: Any = redis_asyncio.Redis.from_pool(pool)  # pyright: ignore[reportUnknownMemberType]
        self._lease_ms = int(lease.total_seconds() * 1000)
        self._owner = owner or replica_id()
        self._ttl = int(REMEMBER_FOR.total_seconds())

    @staticmethod
    def _state(key: str) -> str:
        return f"taskpilot:slack:delivery:{key}"

    @staticmethod
    def _lease_key(key: str) -> str:
        return f"taskpilot:slack:lease:{key}"

    async def claim(self, key: str) -> bool:
        # One script, so that the state and the lease are set together: set one after the
        # other, a retry on another replica could land between them, find a claim without a
        # lease and take it over at once (a second task and a second reply).
        outcome = int(
            await self._redis.eval(
                _CLAIM_SCRIPT,
                2,
                self._state(key),
                self._lease_key(key),
                self._owner,
                self._ttl,
                self._lease_ms,
            )
        )
        if outcome == _CLAIMED:
            return True
        if outcome == _DONE:
            return False
        taken = outcome == _TAKEN_OVER
        if taken:
            logger.warning(
                "took over a Slack event whose replica did not finish", extra={"delivery": key}
            )
        return taken

    async def finish(self, key: str) -> None:
        await self._redis.set(self._state(key), "done", ex=self._ttl)
        await self._redis.delete(self._lease_key(key))

    async def release(self, key: str) -> None:
        # One script, so that a takeover by another replica cannot land between the check of
        # the lease and the deletion.
        await self._redis.eval(
            _RELEASE_SCRIPT, 2, self._state(key), self._lease_key(key), self._owner
        )

    async def renew(self, key: str) -> None:
        await self._redis.eval(_RENEW_SCRIPT, 1, self._lease_key(key), self._owner, self._lease_ms)

    async def finished(self, key: str) -> bool:
        state = await self._redis.get(self._state(key))
        return state in (b"done", "done")

    async def prune(self) -> int:
        # Redis forgets by itself: every key has a time to live.
        return 0

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
