"""A small async rate limiter: at most N starts per second, spread evenly."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Lets callers through at most `per_second` times a second; 0 or less means no limit.

    Provider models have request-per-minute limits; with `--concurrency` the runner would
    otherwise start cases as fast as slots free up and run into 429s.
    """

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)
