"""Placeholder until the listeners of this module land."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from slack_app.services import SlackServices


def register(app: AsyncApp, services: SlackServices) -> None:
    """Add this module's listeners to `app`."""
    del app, services
