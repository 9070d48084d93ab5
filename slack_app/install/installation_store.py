"""Where OAuth installs are kept: the project's database, with every token encrypted.

`DatabaseInstallationStore` is Bolt's installation store over `SlackInstallation`: the plain
columns are what lookups need and `data` is the whole `slack_sdk` Installation as JSON,
encrypted with `SLACK_TOKEN_ENCRYPTION_KEY`. The OAuth `state` values `/slack/install` hands
out are kept by `slack_app.install.oauth_states`.

Lookups follow slack_sdk's SQLAlchemy store (the latest install of an enterprise/team, or of
one user in it; org-wide installs have no team). That store keeps bots in a table of their
own; here one row holds both parts of an install, so deleting the bot (or a user's
installation) removes that part of the rows and a row left with no token at all is deleted.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from sqlalchemy import ColumnElement, and_, delete
from sqlmodel import Session, col, select

from core.settings import Settings
from slack_app.install.crypto import TokenCipher
from slack_app.models import SlackInstallation

logger = logging.getLogger(__name__)

SessionFactory = Callable[[], Session]

# The plain fields of an Installation, stored as they are.
_PLAIN_FIELDS: tuple[str, ...] = (
    "app_id",
    "enterprise_id",
    "enterprise_name",
    "enterprise_url",
    "team_id",
    "team_name",
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_refresh_token",
    "bot_token_expires_at",
    "user_id",
    "user_token",
    "user_refresh_token",
    "user_token_expires_at",
    "incoming_webhook_url",
    "incoming_webhook_channel",
    "incoming_webhook_channel_id",
    "incoming_webhook_configuration_url",
    "is_enterprise_install",
    "token_type",
    "installed_at",
)
_BOT_FIELDS: tuple[str, ...] = (
    "bot_token",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "bot_refresh_token",
    "bot_token_expires_at",
)
_USER_FIELDS: tuple[str, ...] = (
    "user_token",
    "user_scopes",
    "user_refresh_token",
    "user_token_expires_at",
)
_DATETIME_TAG = "$datetime"


def _encode_extra(value: Any) -> Any:
    # Custom values may hold datetimes; they are tagged so that they come back as datetimes.
    if isinstance(value, datetime):
        return {_DATETIME_TAG: value.isoformat()}
    raise TypeError(f"{type(value).__name__} cannot be stored in an installation")


def _decode_extra(value: dict[str, Any]) -> Any:
    if set(value) == {_DATETIME_TAG}:
        return datetime.fromisoformat(value[_DATETIME_TAG])
    return value


def installation_to_json(installation: Installation) -> str:
    """The Installation as JSON that `installation_from_json` reads back unchanged."""
    data: dict[str, Any] = {name: getattr(installation, name) for name in _PLAIN_FIELDS}
    data["bot_scopes"] = list(installation.bot_scopes or [])
    data["user_scopes"] = list(installation.user_scopes or [])
    data["custom_values"] = dict(installation.custom_values)
    return json.dumps(data, default=_encode_extra, separators=(",", ":"))


def installation_from_json(text: str) -> Installation:
    """The Installation `installation_to_json` wrote."""
    data: dict[str, Any] = json.loads(text, object_hook=_decode_extra)
    return Installation(**data)


def _installed_at(installation: Installation) -> datetime:
    return datetime.fromtimestamp(installation.installed_at, tz=UTC)


def _without(installation: Installation, fields: Sequence[str]) -> Installation:
    copy = installation_from_json(installation_to_json(installation))
    for name in fields:
        setattr(copy, name, [] if name.endswith("_scopes") else None)
    return copy


@dataclass(frozen=True, kw_only=True)
class InstalledTeam:
    """What `taskpilot slack installations` shows of one install: no tokens."""

    enterprise_id: str | None
    team_id: str | None
    team_name: str | None
    bot_user_id: str | None
    installer_id: str | None
    scopes: list[str]
    installed_at: datetime
    is_enterprise_install: bool


class DatabaseInstallationStore(AsyncInstallationStore):
    """Bolt's installation store over the `slack_installations` table, tokens encrypted."""

    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        cipher: TokenCipher,
        client_id: str,
    ) -> None:
        self._sessions = session_factory
        self._cipher = cipher
        self._client_id = client_id

    @classmethod
    def from_settings(
        cls, settings: Settings, *, session_factory: SessionFactory
    ) -> DatabaseInstallationStore:
        """The store for the configured app (`SLACK_CLIENT_ID`) and key."""
        return cls(
            session_factory=session_factory,
            cipher=TokenCipher.from_settings(settings),
            client_id=settings.slack_client_id or "",
        )

    @property
    def logger(self) -> logging.Logger:
        return logger

    def __repr__(self) -> str:
        return f"DatabaseInstallationStore(client_id={self._client_id!r})"

    # -- Bolt's interface ------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.save_bot, bot)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        return await asyncio.to_thread(
            self.find_bot,
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        return await asyncio.to_thread(
            self.find_installation,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        await asyncio.to_thread(
            self.delete_installation, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self.delete_all, enterprise_id=enterprise_id, team_id=team_id)

    # -- TaskPilot's additions -------------------------------------------------------------

    async def async_find_bot_for_team(self, team_id: str) -> Bot | None:
        """The latest bot of `team_id`, whichever enterprise it belongs to."""
        return await asyncio.to_thread(self.find_bot_for_team, team_id)

    async def async_team_ids(self) -> list[str]:
        """Every team with a bot installed, sorted."""
        return await asyncio.to_thread(self.team_ids)

    # -- the work, synchronous (run in a thread by the async methods, directly by the CLI) --

    def _where(self, enterprise_id: str | None, team_id: str | None) -> ColumnElement[bool]:
        # `== None` compiles to IS NULL, which is what a missing enterprise or team means.
        return and_(
            col(SlackInstallation.client_id) == self._client_id,
            col(SlackInstallation.enterprise_id) == enterprise_id,
            col(SlackInstallation.team_id) == team_id,
        )

    def _row_values(self, installation: Installation) -> dict[str, Any]:
        return {
            "client_id": self._client_id,
            "enterprise_id": installation.enterprise_id,
            "team_id": installation.team_id,
            "user_id": installation.user_id or None,
            "is_enterprise_install": bool(installation.is_enterprise_install),
            "has_bot": installation.bot_token is not None,
            "bot_user_id": installation.bot_user_id if installation.bot_token else None,
            "data": self._cipher.encrypt(installation_to_json(installation)),
            "installed_at": _installed_at(installation),
        }

    def _decrypt(self, row: SlackInstallation) -> Installation:
        return installation_from_json(self._cipher.decrypt(row.data))

    def save(self, installation: Installation) -> None:
        """Insert the installation, or update the one of the same team installed at the same
        moment (a refreshed token)."""
        values = self._row_values(installation)
        with self._sessions() as session, session.begin():
            existing = session.exec(
                select(SlackInstallation)
                .where(
                    self._where(installation.enterprise_id, installation.team_id),
                    col(SlackInstallation.installed_at) == values["installed_at"],
                )
                .limit(1)
            ).first()
            if existing is None:
                session.add(SlackInstallation(**values))
                return
            for name, value in values.items():
                setattr(existing, name, value)

    def save_bot(self, bot: Bot) -> None:
        """Put the bot's (refreshed) token into the latest install of its team."""
        team_id = None if bot.is_enterprise_install else bot.team_id
        with self._sessions() as session, session.begin():
            existing = self._latest(session, bot.enterprise_id, team_id, bot_only=False)
            if existing is None:
                installation = Installation(user_id="", **_bot_values(bot))
                session.add(SlackInstallation(**self._row_values(installation)))
                return
            installation = self._decrypt(existing)
            for name, value in _bot_values(bot).items():
                if name in _BOT_FIELDS:
                    setattr(installation, name, value)
            values = self._row_values(installation)
            values["user_id"] = existing.user_id
            for name, value in values.items():
                setattr(existing, name, value)

    def _latest(
        self,
        session: Session,
        enterprise_id: str | None,
        team_id: str | None,
        *,
        user_id: str | None = None,
        bot_only: bool,
    ) -> SlackInstallation | None:
        query = select(SlackInstallation).where(self._where(enterprise_id, team_id))
        if user_id is not None:
            query = query.where(col(SlackInstallation.user_id) == user_id)
        if bot_only:
            query = query.where(col(SlackInstallation.has_bot).is_(True))
        query = query.order_by(
            col(SlackInstallation.installed_at).desc(), col(SlackInstallation.id).desc()
        ).limit(1)
        return session.exec(query).first()

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The latest bot of the enterprise/team (of the org for an org-wide install)."""
        if is_enterprise_install or team_id is None:
            team_id = None
        with self._sessions() as session:
            row = self._latest(session, enterprise_id, team_id, bot_only=True)
            return self._decrypt(row).to_bot() if row is not None else None

    def find_bot_for_team(self, team_id: str) -> Bot | None:
        """The latest bot installed in `team_id`, whichever enterprise it belongs to."""
        with self._sessions() as session:
            row = session.exec(
                select(SlackInstallation)
                .where(
                    col(SlackInstallation.client_id) == self._client_id,
                    col(SlackInstallation.team_id) == team_id,
                    col(SlackInstallation.has_bot).is_(True),
                )
                .order_by(
                    col(SlackInstallation.installed_at).desc(), col(SlackInstallation.id).desc()
                )
                .limit(1)
            ).first()
            return self._decrypt(row).to_bot() if row is not None else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest install of the enterprise/team, or of `user_id` in it; its bot part is
        the team's latest bot when that differs (another user installed again since)."""
        if is_enterprise_install or team_id is None:
            team_id = None
        with self._sessions() as session:
            row = self._latest(session, enterprise_id, team_id, user_id=user_id, bot_only=False)
            installation = self._decrypt(row) if row is not None else None
        if installation is None:
            return None
        if user_id is not None or installation.bot_token is None:
            bot = self.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            if bot is not None and bot.bot_token != installation.bot_token:
                installation.bot_id = bot.bot_id
                installation.bot_user_id = bot.bot_user_id
                installation.bot_token = bot.bot_token
                installation.bot_scopes = bot.bot_scopes
                installation.bot_refresh_token = bot.bot_refresh_token
                installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    def _strip(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        fields: Sequence[str],
        user_id: str | None = None,
    ) -> None:
        with self._sessions() as session, session.begin():
            query = select(SlackInstallation).where(self._where(enterprise_id, team_id))
            if user_id is not None:
                query = query.where(col(SlackInstallation.user_id) == user_id)
            for row in session.exec(query).all():
                installation = _without(self._decrypt(row), fields)
                if installation.bot_token is None and installation.user_token is None:
                    session.delete(row)
                    continue
                values = self._row_values(installation)
                # A user's installation that is gone no longer answers lookups by that user.
                values["user_id"] = None if user_id is not None else row.user_id
                for name, value in values.items():
                    setattr(row, name, value)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the bot tokens of the enterprise/team (Slack revoked them)."""
        self._strip(enterprise_id=enterprise_id, team_id=team_id, fields=_BOT_FIELDS)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget `user_id`'s installation (its user token), or every install of the team."""
        if user_id is None:
            self.delete_all(enterprise_id=enterprise_id, team_id=team_id)
            return
        self._strip(
            enterprise_id=enterprise_id, team_id=team_id, fields=_USER_FIELDS, user_id=user_id
        )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget everything installed in the enterprise/team (the app was uninstalled)."""
        with self._sessions() as session, session.begin():
            session.exec(delete(SlackInstallation).where(self._where(enterprise_id, team_id)))

    def team_ids(self) -> list[str]:
        """Every team with a bot installed, sorted."""
        with self._sessions() as session:
            rows = session.exec(
                select(SlackInstallation.team_id)
                .where(
                    col(SlackInstallation.client_id) == self._client_id,
                    col(SlackInstallation.has_bot).is_(True),
                    col(SlackInstallation.team_id).is_not(None),
                )
                .distinct()
            ).all()
        return sorted(str(team) for team in rows if team)

    def installed_teams(self) -> list[InstalledTeam]:
        """Every install, newest first, without its tokens."""
        with self._sessions() as session:
            rows = session.exec(
                select(SlackInstallation)
                .where(col(SlackInstallation.client_id) == self._client_id)
                .order_by(col(SlackInstallation.installed_at).desc())
            ).all()
        teams: list[InstalledTeam] = []
        for row in rows:
            installation = self._decrypt(row)
            teams.append(
                InstalledTeam(
                    enterprise_id=row.enterprise_id,
                    team_id=row.team_id,
                    team_name=installation.team_name,
                    bot_user_id=row.bot_user_id,
                    installer_id=installation.user_id or None,
                    scopes=list(installation.bot_scopes or []),
                    installed_at=row.installed_at,
                    is_enterprise_install=row.is_enterprise_install,
                )
            )
        return teams

    def reencrypt(self) -> int:
        """Encrypt every install with the newest key; how many were re-encrypted."""
        changed = 0
        with self._sessions() as session, session.begin():
            for row in session.exec(select(SlackInstallation)).all():
                if self._cipher.is_current(row.data):
                    continue
                row.data = self._cipher.rotate(row.data)
                changed += 1
        return changed


def _bot_values(bot: Bot) -> dict[str, Any]:
    return {
        "app_id": bot.app_id,
        "enterprise_id": bot.enterprise_id,
        "enterprise_name": bot.enterprise_name,
        "team_id": bot.team_id,
        "team_name": bot.team_name,
        "bot_token": bot.bot_token,
        "bot_id": bot.bot_id,
        "bot_user_id": bot.bot_user_id,
        "bot_scopes": list(bot.bot_scopes or []),
        "bot_refresh_token": bot.bot_refresh_token,
        "bot_token_expires_at": bot.bot_token_expires_at,
        "is_enterprise_install": bot.is_enterprise_install,
        "installed_at": bot.installed_at,
    }
