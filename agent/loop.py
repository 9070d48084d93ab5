"""A thread with an event loop of its own for agent turns, away from the loop that answers
requests (Slack's acknowledgements, the REST API).

An agent turn does CPU work (the offline parser, prompt rendering) and blocking database calls
between its awaits; on the server's loop those would hold up the acknowledgements of every
request arriving meanwhile. Here they only hold up other turns.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from core.context import carried

T = TypeVar("T")


class AgentLoop:
    """Runs coroutines on a dedicated loop thread, started on first use."""

    def __init__(self, *, name: str = "taskpilot-agent") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the agent loop and wait for its result without blocking this loop."""
        # The caller's request ids and trace go along, so that the turn's logs and spans join
        # those of the request that started it.
        future = asyncio.run_coroutine_threadsafe(carried(work), self._ensure())
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop the loop thread (after the work on it has finished)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()
