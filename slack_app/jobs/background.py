"""The Slack app's background loops (reminders, directory sync), started with the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from slack_app.jobs import directory_sync, reminders
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)

Loop = Callable[[SlackServices], Awaitable[None]]


def background_loops(services: SlackServices) -> list[tuple[str, Loop]]:
    """The loops this process should run, by the settings."""
    loops: list[tuple[str, Loop]] = []
    if services.settings.reminders_enabled:
        loops.append(("reminders", reminders.reminder_loop))
    if services.settings.directory_sync_minutes > 0:
        loops.append(("directory-sync", directory_sync.sync_loop))
    return loops


class Background:
    """Started loops; `stop()` cancels them and waits for them to end."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, services: SlackServices) -> None:
        """Start each loop as its own task; a loop that crashes is logged, not restarted."""
        for name, loop in background_loops(services):

            async def run(loop: Loop = loop, name: str = name) -> None:
                try:
                    await loop(services)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("background loop stopped", extra={"loop": name})

            self._tasks.append(asyncio.get_running_loop().create_task(run(), name=name))

    async def stop(self) -> None:
        """Cancel the loops and wait for them."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
