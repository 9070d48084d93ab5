"""The FastAPI application `taskpilot serve` runs: the Slack endpoint and health checks.

`create_app()` builds everything from the settings when the server starts (in the lifespan),
never at import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from core.settings import Settings, load_settings
from slack_app.app import (
    SlackNotConfigured,
    build_services,
    build_slack_app,
    check_slack_settings,
)
from slack_app.background import Background
from slack_app.deliveries import RedisLedger
from slack_app.fastapi_adapter import slack_router
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)

# How long shutdown waits for agent turns already acknowledged to Slack to finish.
SHUTDOWN_GRACE_SECONDS = 25.0


def create_app(
    settings: Settings | None = None, *, services: SlackServices | None = None
) -> FastAPI:
    """The server app. `services` replaces what the lifespan would build (tests pass their own)."""
    settings = settings or load_settings()
    state: dict[str, SlackServices | None] = {"services": services}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        background = Background()
        slack_services = state["services"]
        reason = ""
        try:
            check_slack_settings(settings)
            if slack_services is None:
                slack_services = build_services(settings)
        except SlackNotConfigured as error:
            reason = str(error)
            logger.warning("%s The Slack endpoint answers 503 until then.", reason)
        bolt = build_slack_app(slack_services) if slack_services is not None else None
        app.include_router(slack_router(bolt, reason=reason))
        app.state.slack = slack_services
        if slack_services is not None:
            background.start(slack_services)
        try:
            yield
        finally:
            await background.stop()
            if slack_services is not None:
                finished = await slack_services.inflight.drain(timeout=SHUTDOWN_GRACE_SECONDS)
                if not finished:
                    logger.warning(
                        "shut down with Slack work still in flight",
                        extra={"in_flight": slack_services.inflight.active},
                    )
                if isinstance(slack_services.ledger, RedisLedger):
                    await slack_services.ledger.close()
                slack_services.agent_loop.stop()

    app = FastAPI(title="TaskPilot", version="0.1.0", lifespan=lifespan)
    app.state.slack = None

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:  # pyright: ignore[reportUnusedFunction]
        """The process is up."""
        return {"status": "ok"}

    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: settings from the environment."""
    return create_app()
