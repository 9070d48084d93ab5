"""Where the OAuth `state` values `/slack/install` hands out are kept: the `slack_oauth_states`
table, each value random, valid once and for ten minutes, so that a callback can only finish
an install this server began.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete
from sqlmodel import Session, col

from slack_app.models import SlackOAuthState
from tasks.models import utcnow

logger = logging.getLogger(__name__)

# How long an OAuth `state` from `/slack/install` stays valid (Bolt's default, Slack's advice).
STATE_EXPIRATION_SECONDS = 600


class DatabaseOAuthStateStore(AsyncOAuthStateStore):
    """OAuth `state` values in the `slack_oauth_states` table: random, used once, short-lived."""

    def __init__(
        self,
        *,
        session_factory: Callable[[], Session],
        expiration_seconds: int = STATE_EXPIRATION_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self._lifetime = timedelta(seconds=expiration_seconds)
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        del args, kwargs
        return await asyncio.to_thread(self.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.consume, state)

    def issue(self) -> str:
        """A new random state, stored; expired ones are cleared out on the way."""
        state = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions() as session, session.begin():
            session.exec(
                delete(SlackOAuthState).where(
                    col(SlackOAuthState.created_at) < now - self._lifetime
                )
            )
            session.add(SlackOAuthState(state=state, created_at=now))
        return state

    def consume(self, state: str) -> bool:
        """True once for a state issued within the expiry; False afterwards or when unknown."""
        if not state:
            return False
        cutoff = self._clock() - self._lifetime
        with self._sessions() as session, session.begin():
            # One conditional delete: of two callbacks racing with the same state, one wins.
            result = session.exec(
                delete(SlackOAuthState).where(
                    col(SlackOAuthState.state) == state,
                    col(SlackOAuthState.created_at) >= cutoff,
                )
            )
            valid = result.rowcount == 1
            if not valid:
                session.exec(delete(SlackOAuthState).where(col(SlackOAuthState.state) == state))
        if not valid:
            logger.info("refused an unknown, used or expired OAuth state")
        return valid
