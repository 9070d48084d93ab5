"""The short cache of authenticated API keys: it saves the database round trip, and it never
lets a key work that this process rotated away or revoked, nor past its expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.auth import Principal
from api.key_cache import KeyCache
from tasks.api_keys import ApiKeyService, key_changes, split_key
from tasks.models import AuditAction, AuditEvent
from tests.api.support import ApiHarness, auth

TASKS = "/api/v1/tasks"


class Sessions:
    """Counts the sessions the API opens (authentication and routes alike)."""

    def __init__(self, api: ApiHarness) -> None:
        self.opened = 0
        self._factory = api.context.session_factory

    def __call__(self) -> Session:
        self.opened += 1
        return self._factory()


@pytest.fixture
def sessions(api: ApiHarness, monkeypatch: pytest.MonkeyPatch) -> Sessions:
    counter = Sessions(api)
    monkeypatch.setattr(api.context, "session_factory", counter)
    return counter


def _prefix(key: str) -> str:
    parts = split_key(key)
    assert parts is not None
    return parts[0]


def _revoke(api: ApiHarness, key: str) -> None:
    with api.session_factory() as session, session.begin():
        ApiKeyService(session, actor_id="cli:test", source="cli").revoke(prefix=_prefix(key))


def test_a_key_used_a_moment_ago_is_not_looked_up_again(
    api: ApiHarness, key: str, sessions: Sessions
) -> None:
    assert api.client.get(TASKS, headers=auth(key)).status_code == 200
    assert sessions.opened == 2  # the key's lookup, then the page
    assert api.client.get(TASKS, headers=auth(key)).status_code == 200
    assert sessions.opened == 3  # the page only


def test_a_key_revoked_in_this_process_stops_at_once_although_it_was_cached(
    api: ApiHarness, key: str
) -> None:
    assert api.client.get(TASKS, headers=auth(key)).status_code == 200
    assert len(api.context.key_cache) == 1
    _revoke(api, key)
    assert api.client.get(TASKS, headers=auth(key)).status_code == 401


def test_a_key_rotated_without_grace_in_this_process_stops_at_once(
    api: ApiHarness, key: str
) -> None:
    assert api.client.get(TASKS, headers=auth(key)).status_code == 200
    with api.session_factory() as session, session.begin():
        new = ApiKeyService(session, actor_id="cli:test", source="cli").rotate(
            prefix=_prefix(key), grace=timedelta(0)
        )
    assert api.client.get(TASKS, headers=auth(key)).status_code == 401
    assert api.client.get(TASKS, headers=auth(new.key)).status_code == 200


def test_a_revocation_moves_the_generation_on_when_flushed_and_again_when_committed(
    api: ApiHarness, key: str
) -> None:
    before = key_changes()
    with api.session_factory() as session, session.begin():
        ApiKeyService(session, actor_id="cli:test", source="cli").revoke(prefix=_prefix(key))
        flushed = key_changes()
    assert before < flushed < key_changes()


def test_a_cached_key_seen_from_a_new_address_is_looked_up_and_audited(
    api: ApiHarness, key: str
) -> None:
    assert api.client.get(TASKS, headers=auth(key)).status_code == 200
    # The app is already started by `api.client`; this client only comes from elsewhere.
    elsewhere = TestClient(api.client.app, client=("10.9.8.7", 50000))
    assert elsewhere.get(TASKS, headers=auth(key)).status_code == 200
    with api.session_factory() as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == AuditAction.key_used_new_ip)
            .order_by(col(AuditEvent.id))
        ).all()
    assert [event.changes["ip"] for event in events] == [
        [None, "testclient"],
        ["testclient", "10.9.8.7"],
    ]


class Clock:
    def __init__(self) -> None:
        self.monotonic = 100.0
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


PRINCIPAL = Principal(team_id="T1", key_id=1, prefix="abcd1234", scopes=frozenset({"x"}))


def _cache(clock: Clock, *, ttl: float = 5.0) -> KeyCache[Principal]:
    return KeyCache[Principal](ttl=ttl, monotonic=lambda: clock.monotonic, now=lambda: clock.now)


def test_an_entry_ages_out_after_the_ttl() -> None:
    clock = Clock()
    cache = _cache(clock)
    cache.put("h", PRINCIPAL, ip="1.2.3.4", generation=key_changes(), valid_until=None)
    clock.monotonic += 4.9
    assert cache.get("h", ip="1.2.3.4") == PRINCIPAL
    clock.monotonic += 0.2
    assert cache.get("h", ip="1.2.3.4") is None


def test_an_entry_never_outlives_the_key() -> None:
    clock = Clock()
    cache = _cache(clock)
    ends = clock.now + timedelta(seconds=1)
    cache.put("h", PRINCIPAL, ip=None, generation=key_changes(), valid_until=ends)
    assert cache.get("h", ip=None) == PRINCIPAL
    clock.now = ends
    assert cache.get("h", ip=None) is None


def test_a_lookup_that_began_before_a_key_change_is_not_cached(api: ApiHarness, key: str) -> None:
    clock = Clock()
    cache = _cache(clock)
    began = key_changes()
    _revoke(api, key)  # another key, or this one: any change counts
    cache.put("h", PRINCIPAL, ip=None, generation=began, valid_until=None)
    assert cache.get("h", ip=None) is None
    assert len(cache) == 0


def test_an_entry_made_before_a_key_change_is_dropped(api: ApiHarness, key: str) -> None:
    clock = Clock()
    cache = _cache(clock)
    cache.put("h", PRINCIPAL, ip=None, generation=key_changes(), valid_until=None)
    _revoke(api, key)
    assert cache.get("h", ip=None) is None


def test_a_ttl_of_zero_turns_the_cache_off() -> None:
    cache = _cache(Clock(), ttl=0)
    cache.put("h", PRINCIPAL, ip=None, generation=key_changes(), valid_until=None)
    assert cache.get("h", ip=None) is None
