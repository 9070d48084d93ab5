"""Socket Mode: the app dials out to Slack over a WebSocket, for teams behind a firewall.

The same Bolt app and listeners as the HTTP endpoint; Slack's envelopes arrive over the
socket and are acknowledged on it. `SLACK_APP_TOKEN` (an app-level `xapp-` token with the
`connections:write` scope) opens the connection through `apps.connections.open` on
`SLACK_API_BASE_URL`. On SIGTERM or Ctrl-C the socket is closed first, so that no new work
arrives, and the work already acknowledged is given time to finish.

Workspaces installed through OAuth are answered here too, with their own tokens; the install
pages themselves (`/slack/install`) are HTTP and need `taskpilot serve`.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from core.settings import Settings
from slack_app.app import build_services, build_slack_app
from slack_app.configuration import SlackNotConfigured, check_slack_settings
from slack_app.delivery.stop_signals import forget_stop_signals, on_stop_signals
from slack_app.delivery.web_api import error_code
from slack_app.delivery.web_client import web_client
from slack_app.jobs.background import Background
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)

APP_TOKEN_PREFIX = "xapp-"  # noqa: S105 (a prefix, not a token)


class SocketModeRefused(Exception):
    """Slack would not open a Socket Mode connection; the message says why and what to do."""


def app_token(settings: Settings) -> str:
    """`SLACK_APP_TOKEN`, after checking everything Socket Mode needs is set."""
    check_slack_settings(settings, socket_mode=True)
    token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if not token:
        raise SlackNotConfigured(
            "Socket Mode needs SLACK_APP_TOKEN: an app-level token (xapp-...) with the "
            "connections:write scope, made under Basic Information > App-Level Tokens."
        )
    if not token.startswith(APP_TOKEN_PREFIX):
        raise SlackNotConfigured(
            "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
            "(a bot token, xoxb-..., goes in SLACK_BOT_TOKEN)."
        )
    return token


async def _open_socket(handler: AsyncSocketModeHandler) -> None:
    # The first URL is asked for here so that a refused token is a clear error; the client
    # would otherwise retry it forever.
    try:
        handler.client.wss_uri = await handler.client.issue_new_wss_url()
    except SlackApiError as error:
        reason = error_code(error) or "unknown_error"
        raise SocketModeRefused(
            f"Slack refused to open a Socket Mode connection ({reason}). Check that "
            "SLACK_APP_TOKEN is the app's current app-level token with connections:write and "
            "that Socket Mode is turned on for the app."
        ) from None
    await handler.connect_async()


async def _shut_down(
    handler: AsyncSocketModeHandler,
    background: Background,
    services: SlackServices,
    *,
    grace: float,
) -> None:
    await handler.close_async()
    await background.stop()
    await services.shut_down(grace=grace)


async def run_socket_mode(
    settings: Settings,
    *,
    services: SlackServices | None = None,
    stop: asyncio.Event | None = None,
    grace: float | None = None,
) -> None:
    """Answer Slack over Socket Mode until `stop` is set, SIGTERM or Ctrl-C; then drain the
    acknowledged work for `grace` seconds (by default `TASKPILOT_SHUTDOWN_GRACE_SECONDS`)."""
    if grace is None:
        grace = settings.shutdown_grace
    token = app_token(settings)
    if services is None:
        services = await asyncio.to_thread(build_services, settings, socket_mode=True)
    stop = stop or asyncio.Event()
    handler = AsyncSocketModeHandler(
        build_slack_app(services, socket_mode=True),
        app_token=token,
        web_client=web_client(settings),
    )
    background = Background()
    signals = on_stop_signals(stop)
    try:
        await _open_socket(handler)
        background.start(services)
        logger.info("connected to Slack over Socket Mode")
        await stop.wait()
        logger.info("stopping: closing the socket and finishing acknowledged work")
    finally:
        forget_stop_signals(signals)
        await _shut_down(handler, background, services, grace=grace)
