"""The small demo team a fresh install starts with, so the README's example works at once."""

from __future__ import annotations

from sqlmodel import Session

from tasks.directory import UserDirectory

DEMO_USERS: tuple[tuple[str, str, str], ...] = (
    ("U0ALICE", "alice", "Alice Chen"),
    ("U0BOB", "bob", "Bob Ortiz"),
    ("U0CAROL", "carol", "Carol Diaz"),
    ("U0DAVE", "dave", "Dave Kim"),
)


def seed_demo_team(session: Session, *, team_id: str, timezone: str) -> bool:
    """Add the demo people to an empty team's directory; returns whether anything was added."""
    directory = UserDirectory(session, team_id=team_id)
    if directory.list_users():
        return False
    for user_id, handle, real_name in DEMO_USERS:
        directory.upsert(user_id=user_id, handle=handle, real_name=real_name, tz=timezone)
    return True
