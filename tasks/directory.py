"""The workspace directory: who is in a Slack team, and turning what people say into a person."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence

from rapidfuzz import fuzz
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from tasks.errors import AmbiguousUser, InvalidTaskInput, UnknownUser, UserCandidate
from tasks.models import DirectoryUser, utcnow
from tasks.vocabulary import SELF_WORDS

MENTION = re.compile(r"^<@([A-Za-z0-9]+)(?:\|[^>]*)?>$")
SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[._\-]+")
_MAX_CANDIDATES = 5
_FUZZY_CUTOFF = 60.0


# How many changes to each team's directory this process has committed. A cache of directory
# data (the agent's prompt lists the team's people) remembers the count it was filled at and
# is stale once the count moves; changes made by other processes are not counted here.
_changes: dict[str, int] = {}
_changes_lock = threading.Lock()
# The teams a session changed and has not committed yet (in `Session.info`).
_UNCOMMITTED = "taskpilot.directory.changed_teams"


def directory_changes(team_id: str) -> int:
    """How many changes to `team_id`'s directory this process has committed so far."""
    return _changes.get(team_id, 0)


def _count_on_commit(session: Session, team_id: str) -> None:
    """Count a change to `team_id`'s directory once `session` commits it."""
    teams: set[str] | None = session.info.get(_UNCOMMITTED)
    if teams is None:
        teams = set()
        session.info[_UNCOMMITTED] = teams
        event.listen(session, "after_commit", _count_committed)
    teams.add(team_id)


def _count_committed(session: Session) -> None:
    # A change rolled back stays in the set and is counted at the session's next commit: a
    # cache refilled once too often is harmless, a stale one is not.
    teams: set[str] = session.info.get(_UNCOMMITTED, set())
    with _changes_lock:
        for team_id in teams:
            _changes[team_id] = _changes.get(team_id, 0) + 1
    teams.clear()


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a name, for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())


def label(user: DirectoryUser) -> str:
    """How a person is named in messages: `Bob Ortiz (@bob)`, or `@bob` without a name."""
    name = user.display_name or user.real_name
    return f"{name} (@{user.handle})" if name else f"@{user.handle}"


def name_of(user: DirectoryUser) -> str:
    """The name people see: display name, else real name, else handle."""
    return user.display_name or user.real_name or user.handle


def candidate(user: DirectoryUser) -> UserCandidate:
    """A person as an error's candidate."""
    return {"id": user.user_id, "handle": user.handle, "name": name_of(user)}


def _exact_keys(user: DirectoryUser) -> set[str]:
    handle = fold(user.handle)
    keys = {fold(user.user_id), handle, _SEPARATORS.sub(" ", handle).strip()}
    keys.update(fold(name) for name in (user.display_name, user.real_name) if name)
    keys.discard("")
    return keys


def _first_names(user: DirectoryUser) -> set[str]:
    names: set[str] = set()
    for name in (user.display_name, user.real_name):
        if name and fold(name):
            names.add(fold(name).split()[0])
    handle_parts = _SEPARATORS.sub(" ", fold(user.handle)).split()
    if handle_parts:
        names.add(handle_parts[0])
    return names


def clean_reference(ref: str) -> str:
    """A person reference without surrounding quotes, spaces and closing punctuation."""
    return ref.strip().strip("\"'“”‘’").strip().rstrip(".,;:!?").strip()


def match_people(said: str, users: Iterable[DirectoryUser]) -> list[DirectoryUser]:
    """The active people a name names, at the first step that names anyone.

    First exact keys (a Slack id, the handle with or without `@`, the display or real name),
    then first names (of the display or real name, or the handle's first part). Case, accents
    and extra spaces do not matter. Several matches mean the name is ambiguous. This is pure,
    so that the evals resolve names exactly as the tools do.
    """
    wanted = fold(said.lstrip("@"))
    active = [user for user in users if _is_active(user)]
    exact = [user for user in active if wanted in _exact_keys(user)]
    if exact:
        return exact
    return [user for user in active if wanted in _first_names(user)]


def _is_active(user: DirectoryUser) -> bool:
    return not user.deleted and not user.is_bot


def _inactive_reason(user: DirectoryUser) -> str:
    if user.is_bot:
        return f"{label(user)} is a bot, not a person, so it cannot be given tasks."
    return f"{label(user)} has been deactivated in this workspace, so they cannot be given tasks."


def _either(users: Sequence[DirectoryUser]) -> str:
    labels = [label(user) for user in users]
    if len(labels) <= 2:
        return " or ".join(labels)
    return ", ".join(labels[:-1]) + f" or {labels[-1]}"


class UserDirectory:
    """The people of one team, from `directory_users`."""

    def __init__(self, session: Session, *, team_id: str) -> None:
        self.session = session
        self.team_id = team_id

    def get(self, user_id: str) -> DirectoryUser | None:
        """The person with this Slack id (compared case-insensitively), or None."""
        user = self.session.get(DirectoryUser, (self.team_id, user_id))
        if user is not None:
            return user
        statement = select(DirectoryUser).where(
            DirectoryUser.team_id == self.team_id,
            func.upper(col(DirectoryUser.user_id)) == user_id.upper(),
        )
        return self.session.exec(statement).first()

    def list_users(self, *, active_only: bool = False) -> list[DirectoryUser]:
        """Everyone the directory knows in this team (bots and deactivated people too, unless
        `active_only`), by handle."""
        statement = (
            select(DirectoryUser)
            .where(DirectoryUser.team_id == self.team_id)
            .order_by(col(DirectoryUser.handle), col(DirectoryUser.user_id))
        )
        users = list(self.session.exec(statement).all())
        return [user for user in users if _is_active(user)] if active_only else users

    def upsert(
        self,
        *,
        user_id: str,
        handle: str,
        real_name: str | None = None,
        display_name: str | None = None,
        tz: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> DirectoryUser:
        """Add a person or update what the directory knows of them; flushes, never commits.

        Once the caller commits, `directory_changes(team_id)` counts the change.
        """
        user_id = user_id.strip()
        handle = handle.strip().lstrip("@").strip()
        if not user_id:
            raise InvalidTaskInput("A directory entry needs a Slack user id.", field="user_id")
        if not handle:
            raise InvalidTaskInput(f"User {user_id} needs a handle.", field="handle")
        user = self.session.get(DirectoryUser, (self.team_id, user_id))
        if user is None:
            user = DirectoryUser(team_id=self.team_id, user_id=user_id, handle=handle)
        user.handle = handle
        user.real_name = (real_name or "").strip() or None
        user.display_name = (display_name or "").strip() or None
        user.tz = (tz or "").strip() or None
        user.is_bot = is_bot
        user.deleted = deleted
        user.updated_at = utcnow()
        self.session.add(user)
        self.session.flush()
        _count_on_commit(self.session, self.team_id)
        return user

    def display_name_of(self, user_id: str) -> str:
        """The name people see for `user_id`; the id itself when the directory lacks it."""
        user = self.get(user_id)
        return name_of(user) if user is not None else user_id

    def names_of(self, user_ids: Iterable[str]) -> dict[str, str]:
        """`display_name_of` for many ids at once."""
        wanted = {user_id for user_id in user_ids if user_id}
        if not wanted:
            return {}
        statement = select(DirectoryUser).where(
            DirectoryUser.team_id == self.team_id, col(DirectoryUser.user_id).in_(wanted)
        )
        names = {user.user_id: name_of(user) for user in self.session.exec(statement).all()}
        missing = wanted - names.keys()
        for user_id in missing:
            names[user_id] = self.display_name_of(user_id)
        return names

    def require_person(self, user_id: str) -> DirectoryUser:
        """The active person (not a bot, not deactivated) with Slack id `user_id`;
        `UnknownUser` otherwise."""
        user = self.get(user_id.strip())
        if user is None:
            raise UnknownUser(f"<@{user_id.strip()}> is not someone in this workspace's directory.")
        if user.is_bot:
            raise UnknownUser(f"{label(user)} is a bot, not a person of this workspace.")
        if user.deleted:
            raise UnknownUser(f"{label(user)} has been deactivated in this workspace.")
        return user

    def require_assignable(self, user_id: str, *, actor_id: str) -> DirectoryUser:
        """The person `user_id` names, who must be able to hold tasks; the actor always can."""
        user = self.get(user_id)
        if user is None and user_id == actor_id:
            return self._transient(actor_id)
        if user is None:
            raise UnknownUser(f"<@{user_id}> is not someone in this workspace's directory.")
        if not _is_active(user) and user.user_id != actor_id:
            raise UnknownUser(_inactive_reason(user))
        return user

    def resolve(self, ref: str, *, actor_id: str) -> DirectoryUser:
        """The one active person `ref` means: a Slack id, `<@U02>`, `@handle`, a name or `me`.

        Raises `UnknownUser` (with close matches as candidates) or `AmbiguousUser` (with every
        match); it never guesses between people.
        """
        said = clean_reference(ref)
        if not said:
            raise UnknownUser("Say who: a name, an @handle or a Slack mention.")
        mention = MENTION.match(said)
        if mention is not None:
            return self._by_id(mention.group(1), said=said, actor_id=actor_id)
        wanted = fold(said.lstrip("@"))
        if wanted in SELF_WORDS:
            return self._actor(actor_id)
        if SLACK_ID.match(said) and self.get(said) is not None:
            return self._by_id(said, said=said, actor_id=actor_id)

        users = self.list_users()
        matches = match_people(said, users)
        if matches:
            return self._one(matches, said=said)
        inactive = [user for user in users if not _is_active(user) and wanted in _exact_keys(user)]
        if inactive:
            raise UnknownUser(_inactive_reason(inactive[0]))
        close = self._close_matches(wanted, [user for user in users if _is_active(user)])
        if close:
            raise UnknownUser(
                f"I don't know anyone called '{said}' in this workspace. "
                f"Did you mean {_either(close)}?",
                candidates=[candidate(user) for user in close],
            )
        raise UnknownUser(f"I don't know anyone called '{said}' in this workspace.")

    def _one(self, matches: Sequence[DirectoryUser], *, said: str) -> DirectoryUser:
        if len(matches) == 1:
            return matches[0]
        raise AmbiguousUser(
            f"'{said}' could be {_either(matches)}. Which one do you mean?",
            candidates=[candidate(user) for user in matches],
        )

    def _by_id(self, user_id: str, *, said: str, actor_id: str) -> DirectoryUser:
        user = self.get(user_id)
        if user is None:
            if user_id.upper() == actor_id.upper():
                return self._actor(actor_id)
            raise UnknownUser(f"{said} is not someone in this workspace's directory.")
        if not _is_active(user):
            raise UnknownUser(_inactive_reason(user))
        return user

    def _actor(self, actor_id: str) -> DirectoryUser:
        return self.get(actor_id) or self._transient(actor_id)

    def _transient(self, user_id: str) -> DirectoryUser:
        # The speaker is a verified member of the team even when the directory has not
        # caught up with them yet; this entry is not saved.
        return DirectoryUser(team_id=self.team_id, user_id=user_id, handle=user_id)

    def _close_matches(self, wanted: str, users: Sequence[DirectoryUser]) -> list[DirectoryUser]:
        scored: list[tuple[float, str, DirectoryUser]] = []
        for user in users:
            keys = _exact_keys(user) | _first_names(user)
            score = max(fuzz.WRatio(wanted, key) for key in keys)
            if score >= _FUZZY_CUTOFF:
                scored.append((score, user.handle, user))
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [user for _, _, user in scored[:_MAX_CANDIDATES]]
