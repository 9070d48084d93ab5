"""Keeping the workspace directory in step with Slack (placeholder until filled in)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_app.services import SlackServices


async def ensure_user(
    services: SlackServices, *, client: AsyncWebClient, team_id: str, user_id: str
) -> None:
    """Make sure `user_id` is in the directory (users.info on first sight)."""
    del services, client, team_id, user_id


def register(app: AsyncApp, services: SlackServices) -> None:
    """Add this module's listeners to `app`."""
    del app, services


async def sync_loop(services: SlackServices) -> None:
    """Sync every team's directory from users.list now and every few hours, until cancelled."""
    del services
