"""A short in-process cache from an API key's hash to who it authenticates as.

Checking a key costs a database round trip (and a thread hop) on every request; a client that
sends many requests with one key is checked once every `KEY_CACHE_SECONDS` instead. What keeps
the cache honest:

- In this process, rotating or revoking any key (`ApiKeyService.rotate`/`revoke`) moves the
  key-change generation on (`tasks.api_keys.key_changes`), at once and again when the change
  commits; an entry made under an older generation is never used, so a revoked key stops at
  once here, even when a lookup that began before the revocation ends after it.
- Another process's revocation (the `taskpilot apikey` command, another replica) is seen when
  the entry ages out: at most `KEY_CACHE_SECONDS` later.
- An entry never outlives the key's `expires_at` or the end of its rotation grace period.
- An entry is used only for the client address it was made for, so that the first request
  from a new address still reaches `ApiKeyService.authenticate`, which records it (and writes
  the `key_used_new_ip` audit event). `last_used_at` may lag by up to the cache's lifetime on
  top of its one-minute resolution.

Only keys that authenticated are cached; a bad key is looked up every time. Entries are keyed
by the SHA-256 of the key, so the cache holds no key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from tasks.api_keys import key_changes
from tasks.models import utcnow

# How long an authenticated key is believed without asking the database; the bound on how
# late another process's revocation is seen here.
KEY_CACHE_SECONDS = 5.0
# More keys than any deployment uses at once; past it, the cache starts over.
KEY_CACHE_MAX_ENTRIES = 10_000

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[P]):
    principal: P
    ip: str | None
    generation: int
    fresh_until: float
    valid_until: datetime | None


class KeyCache(Generic[P]):
    """Principals by key hash for `ttl` seconds (0 turns the cache off).

    Used from the event loop only; a lookup that misses is answered by the database, then
    `put` here with the generation read before the lookup began.
    """

    def __init__(
        self,
        *,
        ttl: float = KEY_CACHE_SECONDS,
        max_entries: int = KEY_CACHE_MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._monotonic = monotonic
        self._now = now
        self._entries: dict[str, _Entry[P]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key_hash: str, *, ip: str | None) -> P | None:
        """The principal cached for `key_hash` when it is still good for a request from `ip`."""
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        if (
            entry.generation != key_changes()
            or self._monotonic() >= entry.fresh_until
            or (entry.valid_until is not None and self._now() >= entry.valid_until)
        ):
            self._entries.pop(key_hash, None)
            return None
        if entry.ip != ip:
            return None
        return entry.principal

    def put(
        self,
        key_hash: str,
        principal: P,
        *,
        ip: str | None,
        generation: int,
        valid_until: datetime | None,
    ) -> None:
        """Remember that `key_hash` authenticated as `principal` from `ip`, for a lookup that
        began under key-change `generation`; `valid_until` is when the key stops working
        (expiry or the end of its grace period), None for never."""
        if self.ttl <= 0 or generation != key_changes():
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key_hash] = _Entry(
            principal=principal,
            ip=ip,
            generation=generation,
            fresh_until=self._monotonic() + self.ttl,
            valid_until=valid_until,
        )

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()
