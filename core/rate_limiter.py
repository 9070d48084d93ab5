"""Rate limits: the limiter every transport shares, and the budgets of agent turns.

The limiter counts hits in buckets with the `limits` library: in this process's memory on one
node, or in Redis (`REDIS_URL`) so that replicas behind a load balancer share one budget. It
knows no transport: `slack_app.gate.over_limit` answers a Slack user over the limit, and
`api.rate_limit_http` adds the HTTP headers, the 429 problem and the FastAPI dependencies.

Agent turns are the expensive path: each person (`TASKPILOT_RATE_LIMIT_AGENT_USER`) and each
team (`TASKPILOT_RATE_LIMIT_AGENT_TEAM`) has a budget. Turns through the REST API count in
buckets of their own, so that an API key cannot spend a team's or a person's Slack budget, and
each API key has a budget too (`TASKPILOT_RATE_LIMIT_AGENT_KEY`), so that a key speaking for
many people cannot escape the limits by switching person.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    SlidingWindowCounterRateLimiter,
)
from limits.aio.strategies import (
    RateLimiter as Strategy,
)
from limits.errors import StorageError

from core.metrics import count_rate_limit_rejection
from core.settings import Settings

logger = logging.getLogger(__name__)

StrategyName = Literal["fixed-window", "moving-window", "sliding-window-counter"]

# The buckets Slack's agent turns are counted in, and those of turns through the REST API.
AGENT_USER_BUCKET = "agent-user"
AGENT_TEAM_BUCKET = "agent-team"
API_AGENT_USER_BUCKET = "api-agent-user"
API_AGENT_KEY_BUCKET = "api-agent-key"
API_AGENT_TEAM_BUCKET = "api-agent-team"

# The `limit` label of a refusal in each bucket (`taskpilot_rate_limit_rejections_total`);
# a bucket of its own (a route's `limit_by_key("exports")`) counts under `key`.
LIMIT_LABELS = {
    AGENT_USER_BUCKET: "agent_user",
    AGENT_TEAM_BUCKET: "agent_team",
    API_AGENT_USER_BUCKET: "agent_user",
    API_AGENT_KEY_BUCKET: "agent_key",
    API_AGENT_TEAM_BUCKET: "agent_team",
}

# The Redis connections one limiter keeps, and how long a hit waits for one of them before
# the store counts as failed (and the hit is let through).
POOL_MAX_CONNECTIONS = 64
POOL_WAIT_SECONDS = 2.0


def count_rejection(decision: Decision, *, surface: str) -> None:
    """Count a refusal of `decision`'s bucket on `surface` (`api` or `slack`)."""
    count_rate_limit_rejection(limit=LIMIT_LABELS.get(decision.bucket, "key"), surface=surface)


_STRATEGIES: dict[StrategyName, type[Strategy]] = {
    "fixed-window": FixedWindowRateLimiter,
    "moving-window": MovingWindowRateLimiter,
    "sliding-window-counter": SlidingWindowCounterRateLimiter,
}


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The outcome of one hit: allowed or not, and what the client may know about its budget."""

    allowed: bool
    # How many hits the window allows, and how long the window is, in seconds.
    limit: int
    window: int
    # Hits left in the current window.
    remaining: int
    # Seconds until the budget is (at least partly) renewed.
    reset_after: int
    # Seconds to wait before trying again; None when the hit was allowed.
    retry_after: int | None
    bucket: str

    @property
    def policy(self) -> str:
        """The policy in the IETF draft's notation: `600;w=60`."""
        return f"{self.limit};w={self.window}"


def redis_storage_uri(url: str) -> str:
    """The `limits` async storage URI for a redis-py URL (`redis://h:6379/0`)."""
    return url if url.startswith("async+") else f"async+{url}"


class RateLimiter:
    """Counts hits per bucket and identity against limits such as `30/minute`.

    Build it with `RateLimiter.from_settings(settings)` (memory, or Redis when `REDIS_URL` is
    set), or give it a storage. When the storage fails (Redis down) the hit is allowed and a
    warning logged: an outage of the limiter must not become an outage of the service.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        strategy: StrategyName = "fixed-window",
        key_limit: str = "600/minute",
        agent_user_limit: str = "30/minute",
        agent_team_limit: str = "600/hour",
        agent_key_limit: str = "600/hour",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self._strategy = _STRATEGIES[strategy](storage)
        self._clock = clock
        self._items: dict[str, RateLimitItem] = {}
        # Parse the configured limits now, so that a malformed setting fails at start-up.
        for limit in (key_limit, agent_user_limit, agent_team_limit, agent_key_limit):
            self._item(limit)
        self.key_limit = key_limit
        self.agent_user_limit = agent_user_limit
        self.agent_team_limit = agent_team_limit
        self.agent_key_limit = agent_key_limit
        # The Redis connection pool `from_settings` made, closed with the limiter.
        self._pool: Any = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, strategy: StrategyName = "fixed-window"
    ) -> RateLimiter:
        """The limiter the settings describe; nothing connects until the first hit."""
        storage: Storage
        pool: Any = None
        if settings.redis_url:
            import redis.asyncio as redis_asyncio

            # A pool that makes a hit wait for a free connection (a hit takes well under a
            # millisecond) rather than fail: a turn worker with 200 turns at once ran out of
            # the default pool's connections, and every hit past it went through unlimited.
            pool = redis_asyncio.BlockingConnectionPool.from_url(  # pyright: ignore[reportUnknownMemberType]
                settings.redis_url,
                max_connections=POOL_MAX_CONNECTIONS,
                timeout=POOL_WAIT_SECONDS,
                socket_connect_timeout=2,
                socket_timeout=2,
            )
            storage = RedisStorage(
                redis_storage_uri(settings.redis_url),
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix="taskpilot:ratelimit",
                connection_pool=pool,
            )
        else:
            storage = MemoryStorage()
        limiter = cls(
            storage=storage,
            strategy=strategy,
            key_limit=settings.rate_limit_key,
            agent_user_limit=settings.rate_limit_agent_user,
            agent_team_limit=settings.rate_limit_agent_team,
            agent_key_limit=settings.rate_limit_agent_key,
        )
        limiter._pool = pool
        return limiter

    def _item(self, limit: str) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            try:
                item = parse(limit)
            except ValueError as error:
                raise ValueError(
                    f"{limit!r} is not a rate limit; write it as `30/minute` or `600/hour`."
                ) from error
            self._items[limit] = item
        return item

    async def hit(self, *, bucket: str, identity: str, limit: str) -> Decision:
        """Count one hit of `identity` in `bucket` against `limit` (`30/minute`)."""
        item = self._item(limit)
        window = item.get_expiry()
        try:
            allowed = await self._strategy.hit(item, bucket, identity)
            stats = await self._strategy.get_window_stats(item, bucket, identity)
        except StorageError as error:
            # The error's kind is in the message too, for logs read as text: a timeout (a
            # busy Redis or event loop) and a refused connection call for different fixes.
            kind = type(error.storage_error).__name__
            logger.warning(
                "the rate limit store failed (%s); the request is let through",
                kind,
                extra={"bucket": bucket, "error": kind},
            )
            return Decision(
                allowed=True,
                limit=item.amount,
                window=window,
                remaining=item.amount,
                reset_after=window,
                retry_after=None,
                bucket=bucket,
            )
        reset_after = max(0, math.ceil(stats.reset_time - self._clock()))
        return Decision(
            allowed=allowed,
            limit=item.amount,
            window=window,
            remaining=max(0, stats.remaining),
            reset_after=reset_after,
            retry_after=None if allowed else max(1, reset_after),
            bucket=bucket,
        )

    async def close(self) -> None:
        """Release the storage's connections (Redis); the memory storage has none."""
        if isinstance(self.storage, RedisStorage):
            client = getattr(self.storage.bridge, "storage", None)
            close = getattr(client, "aclose", None)
            if close is not None:
                await close()
        if self._pool is not None:
            # A client given a pool leaves the pool's connections open when it closes.
            await self._pool.disconnect()


async def hit_agent_turn(limiter: RateLimiter, *, team_id: str, user_id: str) -> Decision:
    """Count one agent turn of `user_id` in `team_id` against the person's and the team's limits.

    The person's budget is checked first, so that one person over their limit does not spend
    the team's. The result is the refusal, or else the tighter of the two budgets.
    """
    person = await limiter.hit(
        bucket=AGENT_USER_BUCKET,
        identity=f"{team_id}:{user_id}",
        limit=limiter.agent_user_limit,
    )
    if not person.allowed:
        return person
    team = await limiter.hit(
        bucket=AGENT_TEAM_BUCKET, identity=team_id, limit=limiter.agent_team_limit
    )
    if not team.allowed or team.remaining < person.remaining:
        return team
    return person


async def hit_api_agent_turn(
    limiter: RateLimiter, *, team_id: str, key_id: int, user_id: str
) -> Decision:
    """Count one agent turn run through the REST API by key `key_id` as `user_id`: against
    the person's, the key's and the team's budgets of API turns, which are apart from the
    Slack turns' (`hit_agent_turn`). The first refusal, or else the tightest budget."""
    tightest: Decision | None = None
    for bucket, identity, limit in (
        (API_AGENT_USER_BUCKET, f"{team_id}:{user_id}", limiter.agent_user_limit),
        (API_AGENT_KEY_BUCKET, f"{team_id}:{key_id}", limiter.agent_key_limit),
        (API_AGENT_TEAM_BUCKET, team_id, limiter.agent_team_limit),
    ):
        decision = await limiter.hit(bucket=bucket, identity=identity, limit=limit)
        if not decision.allowed:
            return decision
        if tightest is None or decision.remaining < tightest.remaining:
            tightest = decision
    assert tightest is not None
    return tightest
