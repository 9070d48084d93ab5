"""The agent work a process runs after acknowledging Slack: bounded, counted, drainable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

logger = logging.getLogger(__name__)


class InFlight:
    """Counts the work in progress so that shutdown (and tests) can wait for it to finish.

    `slot()` bounds how many agent turns run at once; `track()` counts a piece of work that
    outlives the request which started it.
    """

    def __init__(self, *, limit: int) -> None:
        self._limit = limit
        self._semaphore: asyncio.Semaphore | None = None
        self._active = 0
        self._idle: asyncio.Event | None = None

    @property
    def active(self) -> int:
        """Pieces of work started and not yet finished."""
        return self._active

    def _events(self) -> tuple[asyncio.Semaphore, asyncio.Event]:
        # Built on first use, inside the running loop, never at construction.
        if self._semaphore is None or self._idle is None:
            self._semaphore = asyncio.Semaphore(self._limit)
            self._idle = asyncio.Event()
            self._idle.set()
        return self._semaphore, self._idle

    def enter(self) -> None:
        """Count one more piece of work (pair with `leave`); must run inside the loop."""
        _, idle = self._events()
        self._active += 1
        idle.clear()

    def leave(self) -> None:
        """One piece of work `enter` counted has finished."""
        _, idle = self._events()
        self._active -= 1
        if self._active <= 0:
            self._active = 0
            idle.set()

    @asynccontextmanager
    async def track(self) -> AsyncGenerator[None]:
        """Count the enclosed work as in flight, without taking a turn slot."""
        self.enter()
        try:
            yield
        finally:
            self.leave()

    @asynccontextmanager
    async def slot(self) -> AsyncGenerator[None]:
        """Count the enclosed work and wait for one of the bounded turn slots."""
        semaphore, _ = self._events()
        async with self.track(), semaphore:
            yield

    async def drain(self, *, timeout: float | None = None) -> bool:  # noqa: ASYNC109
        """Wait until no work is in flight; False when `timeout` seconds passed first."""
        _, idle = self._events()
        # Work may start more work as it finishes (a reply, then a home refresh), so wait
        # until the count stays at zero.
        while True:
            try:
                await asyncio.wait_for(idle.wait(), timeout)
            except TimeoutError:
                return False
            await asyncio.sleep(0)
            if self._active == 0:
                return True
