"""The workspace's people as the prompt lists them, cached per team for a short while.

Every turn's prompt lists the team's people, and reading them is a query per turn, so the list
is kept for `PEOPLE_CACHE_SECONDS`. A change to the directory committed in this process (a
Slack directory sync, `UserDirectory.upsert`) empties the team's entry at once, so a person
synced here is listed in the very next turn. A change made by another process (another app
replica) shows within `PEOPLE_CACHE_SECONDS`; until then only the prompt's list lags, and the
tools, which always read the directory, still resolve the new person by name.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from tasks.directory import UserDirectory, directory_changes

# A prompt lists the workspace's people only while that stays short; the tools resolve any
# name either way.
MAX_PEOPLE_IN_PROMPT = 40
# How long a team's list is reused; the bound on how late a change made by another process
# shows in the prompt.
PEOPLE_CACHE_SECONDS = 60.0
# The cache's clock; tests move it by hand.
monotonic = time.monotonic


@dataclass(frozen=True)
class _Entry:
    people: tuple[str, ...]
    # `directory_changes(team)` when the list was read; another count means it is stale.
    changes: int
    expires: float


# Per database (an engine; two test databases may hold teams of the same id) and team. An
# engine that is gone takes its entries with it.
_cache: weakref.WeakKeyDictionary[Engine, dict[str, _Entry]] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def _read_people(session: Session, team_id: str) -> tuple[str, ...]:
    users = UserDirectory(session, team_id=team_id).list_users(active_only=True)
    if len(users) > MAX_PEOPLE_IN_PROMPT:
        return ()
    return tuple(
        f"{user.handle} ({user.real_name})" if user.real_name else user.handle for user in users
    )


def prompt_people(session: Session, team_id: str) -> tuple[str, ...]:
    """The workspace's people as the prompt lists them, or () when there are too many."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    now = monotonic()
    with _cache_lock:
        entry = _cache.get(engine, {}).get(team_id)
    changes = directory_changes(team_id)
    if entry is not None and entry.changes == changes and now < entry.expires:
        return entry.people
    # The count is taken before the read: a change committed during the read moves it, so
    # the next turn reads again rather than keep what this read may have missed.
    people = _read_people(session, team_id)
    with _cache_lock:
        _cache.setdefault(engine, {})[team_id] = _Entry(
            people=people, changes=changes, expires=now + PEOPLE_CACHE_SECONDS
        )
    return people


def forget_people() -> None:
    """Empty the cache, for every database and team (tests and one-off commands)."""
    with _cache_lock:
        _cache.clear()
