"""Building a turn's dependencies for a speaker, with their zone and name from the directory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from agent.agent_deps import AgentDeps
from tasks.directory import UserDirectory


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback, "UTC"):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def deps_for_speaker(
    session_factory: Callable[[], Session],
    *,
    team_id: str,
    user_id: str,
    source: str,
    default_timezone: str,
    now: datetime | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
    request_id: str | None = None,
    replayable: bool = False,
    grants: frozenset[str] | None = None,
    api_key: str | None = None,
) -> AgentDeps:
    """The deps of one turn: `now` is the speaker's wall clock in their own zone. A turn run
    with an API key passes the key's scopes as `grants` and its prefix as `api_key`."""
    with session_factory() as session:
        user = UserDirectory(session, team_id=team_id).get(user_id)
        tz_name = user.tz if user else None
        actor_name = (user.real_name or user.display_name or user.handle) if user else None
    zone = _zone(tz_name, default_timezone)
    local_now = now.astimezone(zone) if now is not None else datetime.now(zone)
    return AgentDeps(
        session_factory=session_factory,
        team_id=team_id,
        actor_id=user_id,
        now=local_now,
        source=source,
        channel_id=channel_id,
        thread_ts=thread_ts,
        request_id=request_id,
        replayable=replayable,
        grants=grants,
        api_key=api_key,
        actor_name=actor_name,
    )
