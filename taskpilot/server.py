"""The server's assembly: the FastAPI application `taskpilot serve` runs, with REST v1
(`api`), the Slack endpoint (`slack_app`) and the health checks. This is the one place the two
transports meet; neither imports the other.

`create_app()` builds everything from the settings when the server starts (in the lifespan),
never at import.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine

from api.auth import ApiContext
from api.health import install_health
from api.metrics import install_metrics
from api.protections import install_protections
from api.rate_limit_http import RateLimiter, install_rate_limiting
from api.v1 import install_v1
from core.db import database_engine, make_session_factory
from core.metrics import mark_process_dead
from core.secrets import settings_with_secrets
from core.settings import Settings, load_settings
from core.tracing import instrument_app, spans_exported
from slack_app.app import build_services, build_slack_app
from slack_app.configuration import SlackNotConfigured, check_slack_settings
from slack_app.gate.fastapi_adapter import slack_router
from slack_app.jobs.background import Background
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)


def _api_context(
    settings: Settings, slack_services: SlackServices | None
) -> tuple[ApiContext, Engine | None]:
    # The REST API shares the Slack app's database, agent and agent loop when there is one;
    # else it gets an engine of its own (returned, so that shutdown can dispose of it).
    if slack_services is not None:
        context = ApiContext(
            settings=settings,
            session_factory=slack_services.session_factory,
            agent_loop=slack_services.agent_loop,
            runtime=slack_services.runtime,
        )
        return context, None
    engine = database_engine(settings)
    return ApiContext(settings=settings, session_factory=make_session_factory(engine)), engine


def framework_telemetry() -> TelemetryConfig:
    """FastAPI's own OpenTelemetry spans, metrics and logs: FastAPI's defaults while spans are
    exported; off otherwise, since nothing would read them and each request would still pay for
    a span per request, dependency, endpoint and serialisation (the request's log lines get
    their trace id from `core.tracing.RequestTraceMiddleware` instead)."""
    if spans_exported():
        return {}
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_app(
    settings: Settings | None = None,
    *,
    services: SlackServices | None = None,
    api: ApiContext | None = None,
) -> FastAPI:
    """The server app. `services` and `api` replace what the lifespan would build (tests pass
    their own)."""
    # Secrets read once at start (the bot token, OAuth credentials, REDIS_URL with Redis's AUTH
    # token) may live in files or AWS Secrets Manager rather than the environment; read them
    # now, once: the rate limiter below is built from them before the lifespan starts.
    settings = settings_with_secrets(settings or load_settings())
    state: dict[str, SlackServices | None] = {"services": services}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
        background = Background()
        slack_services = state["services"]
        reason = ""
        try:
            check_slack_settings(settings)
            if slack_services is None:
                slack_services = build_services(settings)
                slack_services.rate_limiter = limiter
        except SlackNotConfigured as error:
            reason = str(error)
            logger.warning("%s The Slack endpoint answers 503 until then.", reason)
        bolt = build_slack_app(slack_services) if slack_services is not None else None
        app.include_router(slack_router(bolt, reason=reason))
        app.state.slack = slack_services
        api_engine: Engine | None = None
        if api is not None:
            api_context = api
        else:
            api_context, api_engine = _api_context(settings, slack_services)
        app.state.api = api_context
        if slack_services is not None:
            background.start(slack_services)
        try:
            yield
        finally:
            await background.stop()
            if slack_services is not None:
                # Agent turns already acknowledged to Slack finish within the grace time
                # (`TASKPILOT_SHUTDOWN_GRACE_SECONDS`); uvicorn has stopped taking requests.
                await slack_services.shut_down(grace=settings.shutdown_grace)
            app.state.api = None
            if slack_services is None or api_context.agent_loop is not slack_services.agent_loop:
                api_context.agent_loop.stop()
            if api_engine is not None:
                api_engine.dispose()
            await limiter.close()
            # This worker's live gauges stop counting (multi-process metrics only).
            mark_process_dead(os.getpid())

    docs = (
        settings.api_docs
        if settings.api_docs is not None
        else (settings.environment != "production")
    )
    app = FastAPI(
        title="TaskPilot",
        version="0.1.0",
        lifespan=lifespan,
        telemetry=framework_telemetry(),
        # In production the API's own description is not served to anyone who asks.
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.slack = None
    app.state.api = None
    install_v1(app)
    # One limiter (and one Redis pool) for REST and Slack; their agent turns count in buckets of
    # their own (`core.rate_limiter`).
    limiter = (
        services.turn_limiter() if services is not None else RateLimiter.from_settings(settings)
    )
    install_rate_limiting(app, limiter)
    install_health(app, settings)
    # CORS, security headers, body size, trusted hosts.
    install_protections(app, settings)
    # Last, so that it runs outermost: requests the protections refuse are counted too.
    install_metrics(app, settings)
    # Traced when the process set tracing up (the server does): the OpenTelemetry middleware
    # wraps everything above, so metrics' exemplars and logs see the request's span.
    instrument_app(app)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: settings from the environment.
    Each worker process sets its own logging, tracing and error tracking up."""
    from core.observability import configure_observability

    settings = load_settings()
    configure_observability(settings, tracing=True)
    return create_app(settings)
