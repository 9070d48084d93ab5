"""Settling a Slack delivery: the one place that keeps its lease while it is answered, marks it
answered, or releases it for a later delivery when nothing was written."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from slack_app.delivery.database_failure import DatabaseUnavailable
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)


async def finish_delivery(services: SlackServices, key: str | None) -> None:
    """Mark the claimed delivery `key` (if any) as answered."""
    if key is not None:
        await services.ledger.finish(key)


async def release_delivery(services: SlackServices, key: str | None) -> None:
    """Give the claim on `key` up, so that a later delivery of the event can be answered."""
    if key is None:
        return
    try:
        await services.ledger.release(key)
    except Exception:
        # The ledger may be down with the database; the claim then stays until its lease
        # runs out, after which a retry of the event can still take it over.
        logger.exception("could not release a Slack delivery", extra={"delivery": key})


@asynccontextmanager
async def lease_kept(services: SlackServices, key: str | None) -> AsyncGenerator[None]:
    """Renew the claim on delivery `key` three times per lease while the block runs, so that
    a retry of the event does not take a slow turn for a dead replica's and answer twice."""
    if key is None:
        yield
        return
    every = services.settings.slack_delivery_lease / 3
    finished = asyncio.Event()

    async def renew() -> None:
        while not finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout=every)
                return
            try:
                await services.ledger.renew(key)
            except Exception as error:
                # A missed renewal only shortens the lease; the turn carries on.
                logger.warning("could not renew a Slack delivery's lease: %s", error)

    renewing = asyncio.create_task(renew())
    try:
        yield
    finally:
        finished.set()
        # The renewing task stops by itself once told; a renewal in flight is given a moment,
        # then cancelled and left. Cancelling and awaiting it hung the turn worker until
        # shutdown whenever the Redis client swallowed a cancellation that landed inside its
        # call (a job answered and never acknowledged: the worker crash drill).
        await asyncio.wait({renewing}, timeout=every)
        if not renewing.done():
            renewing.cancel()


class Settlement:
    """What the answering code tells the settlement: that the reply is posted."""

    def __init__(self, services: SlackServices, key: str | None) -> None:
        self._services = services
        self._key = key
        self.finished = False

    async def replied(self) -> None:
        """Mark the delivery answered now that the reply is posted: a crash while the people
        concerned are notified then leaves nothing for a retry or another worker to answer
        again."""
        try:
            await finish_delivery(self._services, self._key)
        except Exception as error:
            # The people concerned are told all the same; marking it is tried again at the end.
            logger.warning("could not mark a Slack delivery answered: %s", error)
            return
        self.finished = True


@asynccontextmanager
async def settled(services: SlackServices, key: str | None) -> AsyncGenerator[Settlement]:
    """Answer the delivery `key` inside the block, its lease kept; then settle it.

    It ends answered, unless the database failed the turn before it wrote anything: then the
    claim is released, so that a later delivery of the event can be answered (the person has
    the apology already). A turn that may have written ends answered, since running it again
    could repeat the write. `DatabaseUnavailable` stops here: it was logged where it happened.
    """
    settlement = Settlement(services, key)
    release = False
    try:
        async with lease_kept(services, key):
            yield settlement
    except DatabaseUnavailable as error:
        release = not error.wrote
    finally:
        if release:
            await release_delivery(services, key)
        elif not settlement.finished:
            await finish_delivery(services, key)
