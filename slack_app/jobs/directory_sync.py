"""Keeping the workspace directory in step with Slack, so that "bob" resolves to a person.

Three ways in: a full `users.list` sync of every team when the server starts and every
`TASKPILOT_DIRECTORY_SYNC_MINUTES`; `user_change` and `team_join` events as they happen; and
`users.info` for a speaker the directory has not met yet, before their first turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from slack_app.delivery import web_api
from slack_app.delivery.request_ids import delivery_key_of
from slack_app.delivery.settlement import finish_delivery
from slack_app.payloads import json_array, json_object
from slack_app.services import SlackServices, services_of
from tasks.directory import UserDirectory
from tasks.errors import TaskError

logger = logging.getLogger(__name__)

# Members per users.list page; Slack recommends no more than 200.
PAGE_SIZE = 200
# Slackbot is a bot in all but its `is_bot` flag.
SLACKBOT = "USLACKBOT"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def belongs_to(member: Mapping[str, object], *, team_id: str) -> bool:
    """Whether a Slack user object is a person of `team_id`: its own team, or (Enterprise
    Grid) one of the workspaces of its org it belongs to. A person of another organisation,
    met in a channel shared through Slack Connect, carries their own team and is not."""
    their_team = _text(member.get("team_id"))
    if their_team is None or their_team == team_id:
        return True
    grid = json_object(member.get("enterprise_user"))
    teams = grid.get("teams") if grid is not None else None
    return isinstance(teams, list) and team_id in teams


def member_fields(member: Mapping[str, object]) -> dict[str, Any] | None:
    """The directory fields of a Slack user object (`users.list`, `users.info`, events), or
    None when it lacks an id or a handle."""
    user_id, handle = _text(member.get("id")), _text(member.get("name"))
    if user_id is None or handle is None:
        return None
    profile = json_object(member.get("profile")) or {}
    return {
        "user_id": user_id,
        "handle": handle,
        "real_name": _text(member.get("real_name")) or _text(profile.get("real_name")),
        "display_name": _text(profile.get("display_name")),
        "tz": _text(member.get("tz")),
        "is_bot": bool(member.get("is_bot")) or user_id == SLACKBOT,
        "deleted": bool(member.get("deleted")),
    }


def save_members(
    session_factory: Callable[[], Session], *, team_id: str, members: Iterable[Any]
) -> int:
    """Upsert Slack user objects into `team_id`'s directory in one transaction; how many."""
    saved = 0
    with session_factory() as session, session.begin():
        directory = UserDirectory(session, team_id=team_id)
        for given in members:
            member = json_object(given)
            fields = member_fields(member) if member is not None else None
            if member is None or fields is None:
                logger.warning(
                    "skipped a Slack user without an id or name", extra={"team": team_id}
                )
                continue
            if not belongs_to(member, team_id=team_id):
                # Never a person of the directory: not an assignee, not a name to resolve.
                logger.info(
                    "skipped a Slack user of another organisation",
                    extra={"team": team_id, "user": fields["user_id"]},
                )
                continue
            try:
                directory.upsert(**fields)
            except TaskError as error:
                logger.warning(
                    "skipped a Slack user the directory refused",
                    extra={"team": team_id, "user": fields["user_id"], "error": str(error)},
                )
                continue
            saved += 1
    return saved


async def save_member(services: SlackServices, *, team_id: str, member: dict[str, Any]) -> bool:
    """Upsert one Slack user object; False (logged) when it could not be saved."""
    try:
        saved = await asyncio.to_thread(
            save_members, services.session_factory, team_id=team_id, members=[member]
        )
    except IntegrityError:
        # Another request inserted the same person at the same moment; theirs stands.
        return True
    except Exception:
        logger.exception(
            "could not save a Slack user", extra={"team": team_id, "user": member.get("id")}
        )
        return False
    return saved == 1


async def sync_team(services: SlackServices, *, client: AsyncWebClient, team_id: str) -> int:
    """Copy every member of `team_id` from `users.list` (page by page) into the directory;
    how many were saved. Slack's errors propagate, after the client's own retries."""
    saved = 0
    cursor: str | None = None
    while True:
        response = await web_api.list_users(client, limit=PAGE_SIZE, cursor=cursor)
        saved += await asyncio.to_thread(
            save_members,
            services.session_factory,
            team_id=team_id,
            members=json_array(response.get("members")),
        )
        metadata = json_object(response.get("response_metadata"))
        following = metadata.get("next_cursor") if metadata is not None else None
        cursor = following if isinstance(following, str) and following else None
        if cursor is None:
            return saved


def _known(session_factory: Callable[[], Session], *, team_id: str, user_id: str) -> bool:
    with session_factory() as session:
        return UserDirectory(session, team_id=team_id).get(user_id) is not None


async def ensure_user(
    services: SlackServices, *, client: AsyncWebClient, team_id: str, user_id: str
) -> bool:
    """Make sure `user_id` is in the directory (users.info on first sight); False when Slack
    says they are a person of another organisation (a Slack Connect guest), who is not saved.

    A failure to ask is logged and counts as ours: the speaker is then treated as a member the
    directory has not caught up with, in the default zone. Boundaries that must hold whatever
    Slack answers check the request's own team fields first (`slack_app.gate.boundaries`).
    """
    if not user_id:
        return True
    try:
        if await asyncio.to_thread(
            _known, services.session_factory, team_id=team_id, user_id=user_id
        ):
            return True
        response = await web_api.user_info(client, user=user_id)
    except SlackApiError as error:
        logger.warning(
            "could not look up a new Slack user",
            extra={"team": team_id, "user": user_id, "error": web_api.error_code(error)},
        )
        return True
    except Exception:
        logger.exception("could not look up a new Slack user", extra={"team": team_id})
        return True
    member = json_object(response.get("user"))
    if member is None:
        return True
    if not belongs_to(member, team_id=team_id):
        return False
    await save_member(services, team_id=team_id, member=member)
    return True


async def _on_user_event(
    services: SlackServices,
    *,
    body: dict[str, Any],
    event: dict[str, Any],
    context: AsyncBoltContext,
) -> None:
    try:
        member = json_object(event.get("user"))
        team_id = context.team_id or _text(body.get("team_id"))
        if member is not None and team_id:
            await save_member(services, team_id=team_id, member=member)
    finally:
        await finish_delivery(services, delivery_key_of(context))


async def on_user_event(
    body: dict[str, Any], event: dict[str, Any], context: AsyncBoltContext
) -> None:
    """`user_change` and `team_join`: update the person in the directory."""
    await _on_user_event(services_of(context), body=body, event=event, context=context)


def register(app: AsyncApp) -> None:
    """Add this module's listeners to `app`: `user_change` and `team_join` update the person."""
    # Bolt names `re.Pattern` and listener middleware without type arguments.
    app.event("user_change")(on_user_event)  # pyright: ignore[reportUnknownMemberType]
    app.event("team_join")(on_user_event)  # pyright: ignore[reportUnknownMemberType]


async def sync_all(services: SlackServices) -> int:
    """Sync every team the app is in; a team that fails is logged and the others go on."""
    saved = 0
    for team_id in await services.tokens.team_ids():
        try:
            client = await services.client_for_team(team_id)
            if client is None:
                continue
            count = await sync_team(services, client=client, team_id=team_id)
        except SlackApiError as error:
            logger.error(
                "could not sync the directory from Slack",
                extra={"team": team_id, "error": web_api.error_code(error)},
            )
            continue
        except Exception:
            logger.exception("could not sync the directory from Slack", extra={"team": team_id})
            continue
        logger.info("synced the directory from Slack", extra={"team": team_id, "users": count})
        saved += count
    return saved


async def sync_loop(services: SlackServices) -> None:
    """Sync every team's directory from users.list now and every few hours, until cancelled."""
    while True:
        try:
            await sync_all(services)
        except Exception:
            logger.exception("the directory sync failed")
        minutes = services.settings.directory_sync_minutes
        if minutes <= 0:
            return
        await asyncio.sleep(minutes * 60)
