"""Telling people about changes: the assignee's DM and App Home refreshes.

Placeholder signatures; the notifications helper fills them in.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from agent.result import TurnResult
from slack_app.services import SlackServices


async def after_turn(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    team_id: str,
    actor_id: str,
    result: TurnResult,
) -> None:
    """Tell the people an agent turn's writes concern (assignee DM, App Home refresh)."""
    del services, client, team_id, actor_id, result


async def task_changed(
    services: SlackServices,
    *,
    client: AsyncWebClient,
    team_id: str,
    actor_id: str,
    number: int,
    previous_assignee_id: str | None,
) -> None:
    """After task `number` changed through Slack: DM a new assignee (not the actor), refresh the
    App Home of the people it concerns."""
    del services, client, team_id, actor_id, number, previous_assignee_id
