"""What every Slack listener works with, built once per process by `slack_app.app`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from agent.assembly import AgentRuntime
from agent.loop import AgentLoop
from core.rate_limiter import RateLimiter
from core.settings import Settings
from slack_app.delivery.deliveries import DeliveryLedger, RedisLedger
from slack_app.delivery.inflight import InFlight
from slack_app.delivery.turn_queue import RedisTurnQueue
from slack_app.delivery.web_api import token_identity
from slack_app.delivery.web_client import web_client

logger = logging.getLogger(__name__)


class TokenSource(Protocol):
    """Where bot tokens come from: `SLACK_BOT_TOKEN` for one workspace, or the installations."""

    async def bot_token(self, *, team_id: str) -> str | None:
        """The bot token for `team_id`, or None when the app is not installed there."""
        ...

    async def team_ids(self) -> list[str]:
        """Every team the app can act in (for reminders and directory sync)."""
        ...


class SingleWorkspaceTokens:
    """One workspace, one bot token (`SLACK_BOT_TOKEN`). Its team is `SLACK_TEAM_ID`, or else
    the one Slack's auth.test names for the token."""

    def __init__(self, *, settings: Settings, token: str) -> None:
        self._settings = settings
        self._token = token
        self._team_id: str | None = settings.slack_team_id

    async def _team(self) -> str | None:
        if self._team_id is None:
            response = await token_identity(web_client(self._settings, token=self._token))
            team = response.get("team_id")
            if isinstance(team, str) and team:
                self._team_id = team
            else:
                logger.error(
                    "Slack's auth.test named no workspace for SLACK_BOT_TOKEN; no request is "
                    "served until SLACK_TEAM_ID names it"
                )
        return self._team_id

    async def bot_token(self, *, team_id: str) -> str | None:
        # The token speaks only for its own workspace: Enterprise Grid, shared channels and
        # the same app installed elsewhere deliver requests of other teams. A workspace that
        # cannot be learned is nobody's (closed, not open).
        team = await self._team()
        return self._token if team is not None and team == team_id else None

    async def team_ids(self) -> list[str]:
        team = await self._team()
        return [team] if team else []


@dataclass(kw_only=True)
class SlackServices:
    """The process-wide parts the listeners share."""

    settings: Settings
    session_factory: Callable[[], Session]
    runtime: AgentRuntime
    ledger: DeliveryLedger
    inflight: InFlight
    tokens: TokenSource
    # Who the app is in each team (bot user id), filled in as requests arrive.
    bot_user_ids: dict[str, str] = field(default_factory=dict[str, str])
    # Agent turns run here, off the loop that acknowledges Slack's requests.
    agent_loop: AgentLoop = field(default_factory=AgentLoop)
    # Limits on agent turns per person and per team; built from the settings on first use.
    rate_limiter: RateLimiter | None = None
    # With `TASKPILOT_TURN_QUEUE=redis`, mentions, DMs and `/task` commands go here for
    # `taskpilot slack worker` processes instead of running in this process.
    turn_queue: RedisTurnQueue | None = None

    async def shut_down(self, *, grace: float) -> None:
        """Let acknowledged work finish within `grace` seconds, then close the ledger, the turn
        queue and the agent loop."""
        if not await self.inflight.drain(timeout=grace):
            logger.warning(
                "shut down with Slack work still in flight",
                extra={"in_flight": self.inflight.active},
            )
        if isinstance(self.ledger, RedisLedger):
            await self.ledger.close()
        if self.turn_queue is not None:
            await self.turn_queue.close()
        self.agent_loop.stop()

    def turn_limiter(self) -> RateLimiter:
        """The rate limiter of agent turns, built from the settings the first time."""
        if self.rate_limiter is None:
            self.rate_limiter = RateLimiter.from_settings(self.settings)
        return self.rate_limiter

    def client(self, token: str | None) -> AsyncWebClient:
        """A Web API client for `token` on the configured base URL, with retries."""
        return web_client(self.settings, token=token)

    async def client_for_team(self, team_id: str) -> AsyncWebClient | None:
        """A client with the team's bot token, or None when the app is not installed there."""
        token = await self.tokens.bot_token(team_id=team_id)
        return self.client(token) if token else None


# The key under which `slack_app.app` puts the process's services in every request's Bolt
# context, so that listeners defined at module level reach them.
SERVICES_KEY = "taskpilot_services"


def services_of(context: AsyncBoltContext) -> SlackServices:
    """The process's services, from the request's Bolt context."""
    # Bolt's context is a bare `dict`; its values are whatever the middleware put there.
    found = cast("dict[str, object]", context).get(SERVICES_KEY)
    if not isinstance(found, SlackServices):
        raise RuntimeError("the Bolt app was built without its services (slack_app.app)")
    return found
