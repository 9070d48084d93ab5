"""Installing the app in many workspaces through Slack's OAuth flow, and uninstalling it.

`/slack/install` hands out a one-time `state` and sends the person to Slack's consent page;
`/slack/oauth_redirect` exchanges the code for the bot token (oauth.v2.access) and keeps the
installation, encrypted, in the database. Events are then answered with the token installed
in their team. `tokens_revoked` and `app_uninstalled` forget the tokens again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from sqlmodel import Session

from core.settings import Settings
from slack_app.configuration import SlackNotConfigured
from slack_app.delivery.request_ids import delivery_key_of
from slack_app.delivery.settlement import finish_delivery
from slack_app.delivery.web_client import web_client
from slack_app.install.crypto import TokenKeyError
from slack_app.install.installation_store import DatabaseInstallationStore
from slack_app.install.oauth_states import STATE_EXPIRATION_SECONDS, DatabaseOAuthStateStore
from slack_app.install.scopes import BOT_SCOPES
from slack_app.services import SlackServices

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
# A rotating bot token (when token rotation is turned on for the app) is refreshed when it
# expires within this many minutes (Bolt's default).
TOKEN_REFRESH_MINUTES = 120


def _credentials(settings: Settings) -> tuple[str, str]:
    if not settings.slack_client_id or settings.slack_client_secret is None:
        raise ValueError(
            "Installs through OAuth need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to be set."
        )
    return settings.slack_client_id, settings.slack_client_secret.get_secret_value()


class InstallationTokens:
    """Bot tokens from the OAuth installations in the database (a `TokenSource`)."""

    def __init__(self, *, settings: Settings, session_factory: Callable[[], Session]) -> None:
        self._settings = settings
        try:
            self.store = DatabaseInstallationStore.from_settings(
                settings, session_factory=session_factory
            )
        except TokenKeyError as error:
            # A missing or malformed key is a setting to fix, reported like the others.
            raise SlackNotConfigured(str(error)) from None
        self._rotator: AsyncTokenRotator | None = None

    def _token_rotator(self) -> AsyncTokenRotator:
        if self._rotator is None:
            client_id, client_secret = _credentials(self._settings)
            self._rotator = AsyncTokenRotator(
                client_id=client_id,
                client_secret=client_secret,
                client=web_client(self._settings),
            )
        return self._rotator

    async def bot_token(self, *, team_id: str) -> str | None:
        bot = await self.store.async_find_bot_for_team(team_id)
        if bot is None:
            return None
        if bot.bot_refresh_token is None:
            return bot.bot_token
        # With token rotation on, a token near its expiry is refreshed and the new one kept.
        try:
            refreshed = await self._token_rotator().perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=TOKEN_REFRESH_MINUTES
            )
        except (SlackTokenRotationError, SlackApiError) as error:
            logger.error(
                "could not refresh a team's bot token",
                extra={"team": team_id, "error": type(error).__name__},
            )
            return None
        if refreshed is None:
            return bot.bot_token
        await self.store.async_save_bot(refreshed)
        return refreshed.bot_token

    async def team_ids(self) -> list[str]:
        return await self.store.async_team_ids()

    def __repr__(self) -> str:
        return "InstallationTokens()"


def _installation_store(services: SlackServices) -> DatabaseInstallationStore:
    tokens = services.tokens
    if isinstance(tokens, InstallationTokens):
        return tokens.store
    return DatabaseInstallationStore.from_settings(
        services.settings, session_factory=services.session_factory
    )


def oauth_settings(services: SlackServices) -> AsyncOAuthSettings:
    """Bolt's OAuth settings: the app's credentials, `BOT_SCOPES`, the database stores."""
    settings = services.settings
    client_id, client_secret = _credentials(settings)
    store = _installation_store(services)
    oauth = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        installation_store=store,
        state_store=DatabaseOAuthStateStore(
            session_factory=services.session_factory,
            expiration_seconds=STATE_EXPIRATION_SECONDS,
        ),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        token_rotation_expiration_minutes=TOKEN_REFRESH_MINUTES,
        logger=logger,
    )
    # Bolt's own authorize would refresh rotating tokens through slack.com whatever
    # SLACK_API_BASE_URL says; this one uses the configured base URL like every other call.
    oauth.authorize = AsyncInstallationStoreAuthorize(
        logger=logger,
        installation_store=store,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=TOKEN_REFRESH_MINUTES,
        client=web_client(settings),
    )
    return oauth


def register_revocation(app: AsyncApp, services: SlackServices) -> None:
    """Forget a team's tokens when Slack revokes them or the app is uninstalled. These two
    listeners stay closures: they share a revocation handler built on the app's own
    installation store."""
    store = app.installation_store
    revocation = AsyncTokenRevocationListeners(store) if store is not None else None

    # Bolt names `re.Pattern` and listener middleware without type arguments, and types the
    # revocation listener's event as a bare `dict`.
    @app.event("tokens_revoked")  # pyright: ignore[reportUnknownMemberType]
    async def on_tokens_revoked(  # pyright: ignore[reportUnusedFunction]
        event: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        try:
            if revocation is not None:
                await revocation.handle_tokens_revoked_events(event, context)  # pyright: ignore[reportUnknownMemberType]
            revoked: dict[str, Any] = event.get("tokens") or {}
            logger.warning(
                "Slack revoked tokens of a team",
                extra={
                    "team": context.team_id,
                    "enterprise": context.enterprise_id,
                    "bot": bool(revoked.get("bot")),
                    "users": len(revoked.get("oauth") or []),
                },
            )
            if revoked.get("bot") and context.team_id:
                services.bot_user_ids.pop(context.team_id, None)
        finally:
            await finish_delivery(services, delivery_key_of(context))

    @app.event("app_uninstalled")  # pyright: ignore[reportUnknownMemberType]
    async def on_app_uninstalled(context: AsyncBoltContext) -> None:  # pyright: ignore[reportUnusedFunction]
        try:
            if revocation is not None:
                await revocation.handle_app_uninstalled_events(context)
            else:
                logger.warning(
                    "the app was uninstalled from the workspace of SLACK_BOT_TOKEN; "
                    "that token no longer works"
                )
            logger.warning(
                "the app was uninstalled from a team",
                extra={"team": context.team_id, "enterprise": context.enterprise_id},
            )
            if context.team_id:
                services.bot_user_ids.pop(context.team_id, None)
        finally:
            await finish_delivery(services, delivery_key_of(context))
