"""The App Home tab (placeholder until the home helper lands)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from slack_app.services import SlackServices


async def publish_home(
    services: SlackServices, *, client: AsyncWebClient, team_id: str, user_id: str
) -> None:
    """Publish `user_id`'s App Home: my open tasks, tasks I assigned, overdue, done this week."""
    del services, client, team_id, user_id


def register(app: AsyncApp, services: SlackServices) -> None:
    """Add the App Home listeners to `app`."""
    del app, services
