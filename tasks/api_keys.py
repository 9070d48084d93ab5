# Over 500 lines: an API key's whole life (create, verify, rotate, revoke, list), its hashing
# and its scope rules, which share one table and its audit trail.
"""API keys: created, listed, rotated and revoked by admins, presented by integrations.

A key reads `tp_<prefix>_<secret>`. The prefix (8 letters and digits) is stored and shown in
listings and audit events, so people can tell keys apart; the secret (32 random bytes) is shown
once, when the key is made, and never stored: the database keeps the SHA-256 of the whole key.
Keys carry 256 random bits, so a fast hash is enough, and hashes are compared in constant time.

A rotated key keeps working until its `grace_until`, so that integrations can switch to the new
key without an outage; a revoked key stops at once here, and within 5 seconds in servers that
had verified it (`api/key_cache.py`).

Like `TaskService`, every method flushes and leaves the commit to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from tasks.directory import UserDirectory
from tasks.errors import InvalidTaskInput, PermissionDenied, TaskError
from tasks.models import ID_CHARS, ApiKey, AuditAction, AuditEvent, utcnow

TASKS_READ = "tasks:read"
TASKS_WRITE = "tasks:write"
AGENT_RUN = "agent:run"
# Speak as any active person of the key's team in agent turns; without it, an `agent:run` key
# speaks only as the member it is bound to.
AGENT_ACT_AS = "agent:act_as"
AUDIT_READ = "audit:read"
SCOPES = (TASKS_READ, TASKS_WRITE, AGENT_RUN, AGENT_ACT_AS, AUDIT_READ)
KEY_TAG = "tp"
PREFIX_CHARS = 8
SECRET_BYTES = 32
NAME_MAX_CHARS = 100
# Longer than any key this module makes; longer input is refused before it is hashed.
KEY_MAX_CHARS = 128
# How stale `last_used_at` may get: recording every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_DURATION = timedelta(days=3650)

_PREFIX_ALPHABET = string.ascii_letters + string.digits
_PREFIX_ATTEMPTS = 5
_DURATION = re.compile(r"^\s*(\d{1,7})\s*([smhdw])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
# Hashed when no key has the presented prefix, so that an unknown prefix costs the same work.
_DUMMY_HASH = hashlib.sha256(b"taskpilot-unknown-api-key").hexdigest()


class _KeyChanges:
    """How many times a key was rotated or revoked in this process (a generation number).

    Caches of authenticated keys (`api.key_cache`) drop what they learnt under an older
    generation, so that a revocation takes effect in this process at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    @property
    def value(self) -> int:
        return self._value

    def bump(self) -> None:
        with self._lock:
            self._value += 1


_key_changes = _KeyChanges()


def key_changes() -> int:
    """The generation of key rotations and revocations in this process; it moves on when a
    rotation or revocation is flushed and again when it commits."""
    return _key_changes.value


def _note_key_change(session: Session) -> None:
    # Now, so that lookups already running cannot cache what they read before the change;
    # and after the commit, so that lookups that read the old row meanwhile cannot either.
    _key_changes.bump()
    event.listen(session, "after_commit", lambda _session: _key_changes.bump(), once=True)  # pyright: ignore[reportUnknownArgumentType, reportUnknownLambdaType]


class InvalidApiKey(TaskError):
    """A key that is missing, malformed, unknown, revoked, expired or past its grace period.

    The message is the same in every case, so that a caller learns nothing about which.
    """

    kind = "invalid_api_key"

    def __init__(self) -> None:
        super().__init__("The API key is missing or not valid.")


class ApiKeyNotFound(TaskError):
    """No API key has the given prefix (in the given team, when one is named)."""

    kind = "not_found"

    def __init__(self, prefix: str) -> None:
        super().__init__(f"There is no API key with the prefix {prefix!r}.")
        self.prefix = prefix


@dataclass(frozen=True, repr=False, eq=False)
class NewKey:
    """A key just made: its row and the whole key, which is shown once and never stored."""

    api_key: ApiKey
    key: str

    @property
    def prefix(self) -> str:
        """The visible part of the key."""
        return self.api_key.prefix

    def __repr__(self) -> str:
        return f"NewKey(prefix={self.prefix!r}, key='{KEY_TAG}_{self.prefix}_…')"

    __str__ = __repr__


def hash_key(key: str) -> str:
    """The SHA-256 of a whole key, in hex, as stored in `ApiKey.key_hash`."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """`(prefix, secret)` of a key in the `tp_<prefix>_<secret>` format, else None."""
    head = f"{KEY_TAG}_"
    if len(key) > KEY_MAX_CHARS or not key.startswith(head):
        return None
    prefix = key[len(head) : len(head) + PREFIX_CHARS]
    rest = key[len(head) + PREFIX_CHARS :]
    if len(prefix) != PREFIX_CHARS or not rest.startswith("_") or len(rest) < 2:
        return None
    if any(char not in _PREFIX_ALPHABET for char in prefix):
        return None
    return prefix, rest[1:]


def parse_duration(text: str) -> timedelta:
    """A duration such as `90d`, `12h`, `30m`, `45s` or `2w`."""
    match = _DURATION.match(text)
    if match is None:
        raise InvalidTaskInput(
            f"{text!r} is not a duration; write a number and a unit, such as 90d, 12h or 30m.",
            field="duration",
        )
    amount, unit = int(match.group(1)), match.group(2).lower()
    duration = timedelta(seconds=amount * _UNIT_SECONDS[unit])
    if duration > MAX_DURATION:
        raise InvalidTaskInput(
            f"{text!r} is too long; a duration can be at most {MAX_DURATION.days} days.",
            field="duration",
        )
    return duration


def clean_scopes(scopes: Iterable[str] | str) -> list[str]:
    """Known scopes, without repeats, in the order given; a comma-separated string works too."""
    items = scopes.split(",") if isinstance(scopes, str) else list(scopes)
    cleaned: list[str] = []
    for item in items:
        scope = item.strip().lower()
        if not scope:
            continue
        if scope not in SCOPES:
            raise InvalidTaskInput(
                f"{item.strip()!r} is not a scope; use one or more of {', '.join(SCOPES)}.",
                field="scopes",
            )
        if scope not in cleaned:
            cleaned.append(scope)
    if not cleaned:
        raise InvalidTaskInput(
            f"An API key needs at least one scope: {', '.join(SCOPES)}.", field="scopes"
        )
    return cleaned


def key_status(api_key: ApiKey, *, now: datetime) -> str:
    """`active`, `rotated` (still in its grace period), `expired` or `revoked`."""
    if api_key.revoked_at is not None:
        return "revoked"
    if api_key.expires_at is not None and now >= api_key.expires_at:
        return "expired"
    if api_key.grace_until is not None:
        return "rotated" if now < api_key.grace_until else "expired"
    return "active"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def key_record(api_key: ApiKey, *, now: datetime) -> dict[str, Any]:
    """The public JSON of a key: everything but its hash."""
    return {
        "prefix": api_key.prefix,
        "team": api_key.team_id,
        "name": api_key.name,
        "scopes": list(api_key.scopes),
        "member": api_key.member_id,
        "status": key_status(api_key, now=now),
        "created_by": api_key.created_by,
        "created_at": _iso(api_key.created_at),
        "expires_at": _iso(api_key.expires_at),
        "grace_until": _iso(api_key.grace_until),
        "revoked_at": _iso(api_key.revoked_at),
        "last_used_at": _iso(api_key.last_used_at),
        "last_used_ip": api_key.last_used_ip,
    }


class ApiKeyService:
    """API key operations by `actor_id` (an admin, `cli:<user>`, ...) through `source`.

    `request_id` is stored on every audit event written.
    """

    def __init__(
        self,
        session: Session,
        *,
        actor_id: str,
        source: str,
        request_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.actor_id = actor_id
        self.source = source
        self.request_id = request_id
        self._clock = clock

    # Reading.

    def get_key(self, *, prefix: str, team_id: str | None = None) -> ApiKey:
        """The key with `prefix` (in `team_id` when given); `ApiKeyNotFound` otherwise."""
        return self._find(prefix=prefix, team_id=team_id, lock=False)

    def _find(self, *, prefix: str, team_id: str | None, lock: bool) -> ApiKey:
        statement = select(ApiKey).where(ApiKey.prefix == prefix.strip())
        if team_id is not None:
            statement = statement.where(ApiKey.team_id == team_id)
        if lock:
            # On PostgreSQL two admins rotating or revoking the same key take turns, so that a
            # key gets one successor; SQLite serializes writers anyway.
            statement = statement.with_for_update()
        api_key = self.session.exec(statement).first()
        if api_key is None:
            raise ApiKeyNotFound(prefix.strip())
        return api_key

    def list_keys(self, *, team_id: str | None) -> list[ApiKey]:
        """The keys of `team_id` (of every team with None), oldest first; revoked ones too."""
        statement = select(ApiKey)
        if team_id is not None:
            statement = statement.where(ApiKey.team_id == team_id)
        statement = statement.order_by(col(ApiKey.team_id), col(ApiKey.created_at), col(ApiKey.id))
        return list(self.session.exec(statement).all())

    # Writing.

    def create(
        self,
        *,
        team_id: str,
        name: str,
        scopes: Iterable[str] | str,
        expires_in: timedelta | None,
        member_id: str | None = None,
    ) -> NewKey:
        """A new key of `team_id` with `scopes`, expiring after `expires_in` (None: never),
        bound to `member_id` (an active person of the team) for agent turns when given."""
        team = team_id.strip()
        if not team or len(team) > ID_CHARS:
            raise InvalidTaskInput(
                f"An API key needs a team id of 1 to {ID_CHARS} characters.", field="team"
            )
        clean_name = name.strip()
        if not clean_name or len(clean_name) > NAME_MAX_CHARS:
            raise InvalidTaskInput(
                f"An API key needs a name of 1 to {NAME_MAX_CHARS} characters.", field="name"
            )
        clean = clean_scopes(scopes)
        if expires_in is not None and expires_in <= timedelta(0):
            raise InvalidTaskInput("An API key must expire in the future.", field="expires")
        member = None
        if member_id is not None:
            if AGENT_RUN not in clean:
                raise InvalidTaskInput(
                    f"Only a key with the {AGENT_RUN} scope speaks as a member.", field="member"
                )
            member = UserDirectory(self.session, team_id=team).require_person(member_id).user_id
        now = self._clock()
        new = self._insert(
            team_id=team,
            name=clean_name,
            scopes=clean,
            member_id=member,
            expires_at=now + expires_in if expires_in is not None else None,
            now=now,
        )
        changes: dict[str, list[Any]] = {
            "name": [None, clean_name],
            "scopes": [None, clean],
            "expires_at": [None, _iso(new.api_key.expires_at)],
        }
        if member is not None:
            changes["member"] = [None, member]
        self._record(AuditAction.key_created, new.api_key, changes)
        return new

    def rotate(self, *, prefix: str, grace: timedelta, team_id: str | None = None) -> NewKey:
        """A new key with the same team, name and scopes; the old one works for `grace` more.

        The new key lives as long as the old one was meant to (from now). Only an active key
        can be rotated; rotating twice is refused, so that each key has one successor.
        """
        if grace < timedelta(0):
            raise InvalidTaskInput("The grace period cannot be negative.", field="grace")
        old = self._find(prefix=prefix, team_id=team_id, lock=True)
        now = self._clock()
        status = key_status(old, now=now)
        if status != "active":
            raise InvalidTaskInput(
                f"The API key {old.prefix} is {status}; only an active key can be rotated.",
                field="prefix",
            )
        lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
        new = self._insert(
            team_id=old.team_id,
            name=old.name,
            scopes=list(old.scopes),
            member_id=old.member_id,
            expires_at=now + lifetime if lifetime is not None else None,
            now=now,
        )
        grace_until = now + grace
        old.grace_until = grace_until
        old.replaced_by = new.api_key.id
        self.session.add(old)
        self.session.flush()
        _note_key_change(self.session)
        self._record(
            AuditAction.key_created,
            new.api_key,
            {
                "name": [None, new.api_key.name],
                "scopes": [None, list(new.api_key.scopes)],
                "expires_at": [None, _iso(new.api_key.expires_at)],
                "replaces": [None, old.prefix],
            },
        )
        self._record(
            AuditAction.key_rotated,
            old,
            {
                "grace_until": [None, _iso(grace_until)],
                "replaced_by": [None, new.prefix],
            },
        )
        return new

    def revoke(self, *, prefix: str, team_id: str | None = None) -> ApiKey:
        """Stop the key with `prefix` at once (also during a rotation's grace period)."""
        api_key = self._find(prefix=prefix, team_id=team_id, lock=True)
        if api_key.revoked_at is not None:
            raise InvalidTaskInput(
                f"The API key {api_key.prefix} is already revoked.", field="prefix"
            )
        now = self._clock()
        api_key.revoked_at = now
        self.session.add(api_key)
        self.session.flush()
        _note_key_change(self.session)
        self._record(AuditAction.key_revoked, api_key, {"revoked_at": [None, _iso(now)]})
        return api_key

    def authenticate(self, key: str | None, *, ip: str | None) -> ApiKey:
        """The key's row if `key` may be used now; `InvalidApiKey` otherwise.

        Records when the key was last used (to the minute) and from where; the first use from
        an address other than the last one writes a `key_used_new_ip` audit event, whose actor
        is `apikey:<prefix>`.
        """
        parts = split_key(key) if isinstance(key, str) else None
        if parts is None or key is None:
            raise InvalidApiKey
        statement = select(ApiKey).where(ApiKey.prefix == parts[0])
        api_key = self.session.exec(statement).first()
        presented = hash_key(key)
        expected = api_key.key_hash if api_key is not None else _DUMMY_HASH
        matches = hmac.compare_digest(presented, expected)
        if api_key is None or not matches:
            raise InvalidApiKey
        now = self._clock()
        if key_status(api_key, now=now) not in ("active", "rotated"):
            raise InvalidApiKey
        ip = ip.strip()[:64] if ip and ip.strip() else None
        new_ip = ip is not None and ip != api_key.last_used_ip
        stale = api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION
        if not (new_ip or stale):
            return api_key
        old_ip = api_key.last_used_ip
        api_key.last_used_at = now
        if ip is not None:
            api_key.last_used_ip = ip
        self.session.add(api_key)
        self.session.flush()
        if new_ip:
            self._record(
                AuditAction.key_used_new_ip,
                api_key,
                {"ip": [old_ip, ip]},
                actor_id=f"apikey:{api_key.prefix}",
            )
        return api_key

    # Helpers.

    def _insert(
        self,
        *,
        team_id: str,
        name: str,
        scopes: list[str],
        member_id: str | None,
        expires_at: datetime | None,
        now: datetime,
    ) -> NewKey:
        for _ in range(_PREFIX_ATTEMPTS):
            prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_CHARS))
            taken = self.session.exec(select(ApiKey.id).where(ApiKey.prefix == prefix)).first()
            if taken is None:
                break
        else:
            raise TaskError("Could not pick a free key prefix; please try again.")
        key = f"{KEY_TAG}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        api_key = ApiKey(
            team_id=team_id,
            name=name,
            prefix=prefix,
            key_hash=hash_key(key),
            scopes=scopes,
            member_id=member_id,
            created_by=self.actor_id,
            created_at=now,
            expires_at=expires_at,
        )
        self.session.add(api_key)
        self.session.flush()
        return NewKey(api_key=api_key, key=key)

    def _record(
        self,
        action: AuditAction,
        api_key: ApiKey,
        changes: dict[str, list[Any]],
        *,
        actor_id: str | None = None,
    ) -> None:
        event = AuditEvent(
            team_id=api_key.team_id,
            subject=api_key.prefix,
            actor_id=actor_id or self.actor_id,
            action=action,
            changes=changes,
            source=self.source,
            request_id=self.request_id,
            created_at=self._clock(),
        )
        self.session.add(event)
        self.session.flush()


def turn_speaker(
    session: Session,
    *,
    team_id: str,
    scopes: frozenset[str],
    member_id: str | None,
    stated: str | None,
) -> str:
    """The person an `agent:run` key's turn speaks as: the member the key is bound to (who
    the request may name, or leave out), or with `agent:act_as` the person of the team the
    request names; either must be an active person of the team now. `PermissionDenied` for
    anyone else."""
    if member_id is not None:
        if stated is not None and stated != member_id:
            raise PermissionDenied(f"This API key speaks only as <@{member_id}>.")
        stated = member_id
    elif AGENT_ACT_AS not in scopes:
        raise PermissionDenied(
            "This API key is bound to no member and lacks the agent:act_as scope, so it "
            "cannot speak as anyone. Bind a key to one member (`taskpilot apikey create "
            "--member U…`) or give it agent:act_as."
        )
    elif stated is None:
        raise InvalidTaskInput(
            "Say which person of the team the turn speaks as (`user`).", field="user"
        )
    try:
        return UserDirectory(session, team_id=team_id).require_person(stated).user_id
    except TaskError as error:
        raise PermissionDenied(str(error)) from None
