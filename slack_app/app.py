"""Building the Bolt app and the services its listeners share, from the settings.

Nothing here runs at import; `build_services` connects, `build_slack_app` wires listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import ModuleType
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from agent.assembly import AgentRuntime, build_runtime
from core.db import database_engine, ensure_migrated, make_session_factory
from core.metrics import count_duplicate_delivery
from core.secrets import secrets_from_settings
from core.settings import Settings
from slack_app.configuration import check_slack_settings
from slack_app.delivery.deliveries import DatabaseLedger, DeliveryLedger, RedisLedger, delivery_key
from slack_app.delivery.inflight import InFlight
from slack_app.delivery.turn_queue import RedisTurnQueue
from slack_app.delivery.web_client import web_client
from slack_app.gate.boundaries import (
    once,
    only_our_people,
    only_our_workspace,
    only_slack_response_urls,
)
from slack_app.gate.observe import observe_slack_request
from slack_app.gate.verification import install_verification
from slack_app.install import oauth
from slack_app.jobs import directory_sync
from slack_app.jobs.directory_sync import SLACKBOT
from slack_app.listeners import actions, commands, conversations, home, shortcuts
from slack_app.payloads import json_object
from slack_app.services import SERVICES_KEY, SingleWorkspaceTokens, SlackServices, TokenSource

logger = logging.getLogger(__name__)

# The modules whose `register(app)` adds their module-level listeners, in this order.
LISTENER_MODULES: tuple[ModuleType, ...] = (
    directory_sync,
    actions,
    home,
    shortcuts,
    commands,
    conversations,
)


def build_ledger(settings: Settings) -> DeliveryLedger:
    """Redis when `REDIS_URL` is set, else the database, through a connection pool of its own:
    claims sit on the acknowledgement path and must not wait for a connection that agent
    turns are using."""
    lease = timedelta(seconds=settings.slack_delivery_lease)
    if settings.redis_url:
        return RedisLedger(settings.redis_url, lease=lease)
    engine = database_engine(settings)
    return DatabaseLedger(make_session_factory(engine), lease=lease)


def build_token_source(settings: Settings, session_factory: Any) -> TokenSource:
    """`SLACK_BOT_TOKEN` for one workspace, else the OAuth installations."""
    if settings.slack_bot_token is not None:
        return SingleWorkspaceTokens(
            settings=settings, token=settings.slack_bot_token.get_secret_value()
        )
    from slack_app.install.oauth import InstallationTokens

    return InstallationTokens(settings=settings, session_factory=session_factory)


def build_services(
    settings: Settings,
    *,
    runtime: AgentRuntime | None = None,
    check_migrated: bool = True,
    socket_mode: bool = False,
    worker: bool = False,
) -> SlackServices:
    """Connect to the database, build the agent and the shared parts of the Slack app.

    With `TASKPILOT_TURN_QUEUE=redis` the listeners queue agent turns for turn workers; a
    turn worker's own services (`worker=True`) run them whatever the setting.
    """
    check_slack_settings(settings, socket_mode=socket_mode, worker=worker)
    engine = database_engine(settings)
    if check_migrated:
        ensure_migrated(engine, allow_newer=settings.allow_newer_schema)
    session_factory = make_session_factory(engine)
    return SlackServices(
        settings=settings,
        session_factory=session_factory,
        runtime=runtime or build_runtime(settings=settings),
        ledger=build_ledger(settings),
        inflight=InFlight(limit=settings.slack_max_concurrent_turns),
        tokens=build_token_source(settings, session_factory),
        turn_queue=None if worker else build_turn_queue(settings),
    )


def build_turn_queue(settings: Settings) -> RedisTurnQueue | None:
    """The Redis turn queue when `TASKPILOT_TURN_QUEUE=redis`, else None (turns run inline)."""
    if settings.turn_queue != "redis" or not settings.redis_url:
        return None
    return RedisTurnQueue(settings.redis_url, reclaim_after=settings.slack_delivery_lease)


Next = Callable[[], Awaitable[BoltResponse | None]]
Middleware = Callable[..., Awaitable[BoltResponse | None]]


def _drop_redeliveries(services: SlackServices) -> Middleware:
    async def drop_redeliveries(
        req: AsyncBoltRequest, context: AsyncBoltContext, next: Next
    ) -> BoltResponse | None:
        key = delivery_key(req.body)
        if key is None:
            # A command's form holds "command"; an interaction's is one "payload" field.
            if req.mode != "socket_mode" and (
                "command" in req.body or req.raw_body.startswith("payload=")
            ):
                return await once(services, req, next)
            return await next()
        if not await services.ledger.claim(key):
            count_duplicate_delivery()
            logger.info(
                "dropped a Slack event delivered again",
                extra={
                    "delivery": key,
                    "retry_num": req.headers.get("x-slack-retry-num", ["0"])[0],
                },
            )
            return BoltResponse(status=200, body="")
        context["delivery_key"] = key
        return await next()

    return drop_redeliveries


def _provide_services(services: SlackServices) -> Middleware:
    """Put the process's services in the request's context, where the module-level listeners
    read them (`services_of`)."""

    async def provide_services(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        context[SERVICES_KEY] = services
        return await next()

    return provide_services


def _remember_bot(services: SlackServices) -> Middleware:
    async def remember_bot(context: AsyncBoltContext, next: Next) -> BoltResponse | None:
        if context.team_id and context.bot_user_id:
            services.bot_user_ids[context.team_id] = context.bot_user_id
        return await next()

    return remember_bot


def _ignore_other_bots(services: SlackServices) -> Middleware:
    async def ignore_other_bots(req: AsyncBoltRequest, next: Next) -> BoltResponse | None:
        event = (
            json_object(req.body.get("event")) if req.body.get("type") == "event_callback" else None
        )
        from_bot = event is not None and (
            (
                event.get("type") in ("message", "app_mention")
                and (event.get("bot_id") or event.get("subtype") == "bot_message")
                and not services.settings.slack_allow_bot_messages
            )
            # Slackbot is no person: its notices and reminders never start a turn or open a
            # Home, whatever their text says.
            or event.get("user") == SLACKBOT
        )
        if from_bot:
            key = delivery_key(req.body)
            if key is not None:
                await services.ledger.finish(key)
            return BoltResponse(status=200, body="")
        return await next()

    return ignore_other_bots


async def _note_rate_limit(req: AsyncBoltRequest, next: Next) -> BoltResponse | None:
    """Answer Slack's `app_rate_limited` notice (it held back the app's events for a minute):
    no listener matches its shape, and an unanswered notice counts as a failed delivery."""
    if req.body.get("type") != "app_rate_limited":
        return await next()
    logger.warning(
        "Slack rate-limited the app's events for a minute",
        extra={
            "team": req.body.get("team_id"),
            "minute": req.body.get("minute_rate_limited"),
        },
    )
    return BoltResponse(status=200, body="")


class _CountListenerStart(AsyncListenerStartHandler):
    """Counts each listener run as in flight from its first step (before its first await)."""

    def __init__(self, inflight: InFlight) -> None:
        self._inflight = inflight

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        del request, response
        self._inflight.enter()


class _CountListenerEnd(AsyncListenerCompletionHandler):
    """Ends the count `_CountListenerStart` began, however the listener ended."""

    def __init__(self, inflight: InFlight) -> None:
        self._inflight = inflight

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        del request, response
        self._inflight.leave()


def build_slack_app(services: SlackServices, *, socket_mode: bool = False) -> AsyncApp:
    """The Bolt app with every TaskPilot listener registered. Over HTTP every request's
    signature is verified first; in Socket Mode there is no signature to verify."""
    settings = services.settings
    check_slack_settings(settings, socket_mode=socket_mode)
    signing_secret = settings.slack_signing_secret
    options: dict[str, Any] = {
        "signing_secret": signing_secret.get_secret_value() if signing_secret else "",
        # Over HTTP, `slack_app.gate.verification` checks signatures instead of Bolt, against every
        # signing secret valid during a rotation.
        "request_verification_enabled": False,
        "before_authorize": _drop_redeliveries(services),
        "name": "taskpilot",
        # Bolt would otherwise make a logger named after the app and freeze its level at the
        # root's level of the moment; ours follows LOG_LEVEL like every other.
        "logger": logging.getLogger("slack_app.bolt"),
    }
    if settings.slack_bot_token is not None:
        options["client"] = web_client(settings, token=settings.slack_bot_token.get_secret_value())
    else:
        from slack_app.install.oauth import oauth_settings

        options["client"] = web_client(settings)
        options["oauth_settings"] = oauth_settings(services)
    app = AsyncApp(**options)
    if not socket_mode:
        install_verification(app, secrets=secrets_from_settings(settings))
    # Bolt runs each listener as a task of its own after the ack; counting it from its first
    # step lets shutdown (and tests) wait for work Slack has already been told is accepted.
    app.listener_runner.listener_start_handler = _CountListenerStart(services.inflight)
    app.listener_runner.listener_completion_handler = _CountListenerEnd(services.inflight)
    # First, so that everything after it logs with the request's ids inside its span.
    middleware: list[Middleware] = [observe_slack_request]
    if settings.slack_bot_token is not None:
        middleware.append(only_our_workspace(services))
    middleware += [
        # Before a guest is answered through a response_url, the URL must be Slack's.
        only_slack_response_urls(services),
        only_our_people(services),
        _remember_bot(services),
        _ignore_other_bots(services),
        _note_rate_limit,
        _provide_services(services),
    ]
    for each in middleware:
        # Bolt declares `middleware(*args)` without annotations: unknown to a strict check.
        app.middleware(each)  # pyright: ignore[reportUnknownMemberType]

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:  # pyright: ignore[reportUnusedFunction]
        logger.error(
            "Slack listener failed",
            exc_info=error,
            extra={"team": body.get("team_id"), "type": body.get("type")},
        )

    for module in LISTENER_MODULES:
        module.register(app)
    # The token revocation listeners need the app's installation store besides the services.
    oauth.register_revocation(app, services)
    return app
