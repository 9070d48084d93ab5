"""Daily token budgets per person and per team, counted from the turn log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from agent.turn_log import provider_tokens_since
from core.settings import Settings


@dataclass(frozen=True)
class BudgetCheck:
    """Whether today's provider budget still has room, and if not, whose ran out."""

    exhausted: str | None = None
    """None while there is room; otherwise "user" or "team"."""


def start_of_day(moment: datetime) -> datetime:
    """Midnight UTC of the moment's day: budgets reset at 00:00 UTC."""
    day = moment.astimezone(UTC)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def check_budget(
    session: Session, *, settings: Settings, team_id: str, user_id: str, now: datetime
) -> BudgetCheck:
    """Compare today's provider tokens with the settings; a limit of 0 means no limit."""
    since = start_of_day(now)
    per_user = settings.daily_tokens_per_user
    if per_user and (
        provider_tokens_since(session, team_id=team_id, user_id=user_id, since=since) >= per_user
    ):
        return BudgetCheck(exhausted="user")
    per_team = settings.daily_tokens_per_team
    if per_team and provider_tokens_since(session, team_id=team_id, since=since) >= per_team:
        return BudgetCheck(exhausted="team")
    return BudgetCheck()
