"""API keys as admins and integrations meet them: creation, use, rotation, revocation, audit.

Every test here runs on SQLite and on PostgreSQL (see the `engine` fixture).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from tasks.api_keys import (
    SCOPES,
    ApiKeyNotFound,
    ApiKeyService,
    InvalidApiKey,
    NewKey,
    key_record,
    parse_duration,
)
from tasks.errors import InvalidTaskInput, PermissionDenied, TaskNotFound
from tasks.models import ApiKey, AuditAction, AuditEvent
from tasks.service import TaskService
from tests.conftest import SeededTeam, SessionFactory

TEAM = "T0TEAM"
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def session(session_factory: SessionFactory) -> Iterator[Session]:
    with session_factory() as session:
        yield session


def service(session: Session, clock: Clock, *, request_id: str | None = None) -> ApiKeyService:
    return ApiKeyService(
        session, actor_id="U0ADMIN", source="test", request_id=request_id, clock=clock
    )


def make_key(
    session: Session,
    clock: Clock,
    *,
    scopes: tuple[str, ...] = ("tasks:read", "tasks:write"),
    expires_in: timedelta | None = timedelta(days=90),
    team: str = TEAM,
) -> NewKey:
    new = service(session, clock).create(
        team_id=team, name="Zapier", scopes=scopes, expires_in=expires_in
    )
    session.commit()
    return new


def key_events(session: Session) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(col(AuditEvent.id))
    return list(session.exec(statement).all())


def test_a_new_key_authenticates_and_only_its_hash_is_stored(
    session: Session, clock: Clock
) -> None:
    new = make_key(session, clock)
    assert new.key.startswith(f"tp_{new.prefix}_")
    assert len(new.key) >= len("tp_12345678_") + 43

    found = service(session, clock).authenticate(new.key, ip="10.0.0.1")
    assert found.id == new.api_key.id
    assert found.team_id == TEAM
    assert found.scopes == ["tasks:read", "tasks:write"]

    stored = session.exec(select(ApiKey)).one()
    secret = new.key.split("_", 2)[2]
    assert secret not in stored.key_hash and secret not in repr(stored)
    assert stored.key_hash != new.key


def test_the_new_key_repr_hides_the_secret(session: Session, clock: Clock) -> None:
    new = make_key(session, clock)
    secret = new.key.split("_", 2)[2]
    assert new.prefix in repr(new)
    assert secret not in repr(new)
    assert secret not in str(new)
    assert secret not in f"{new}"


def test_two_keys_differ_in_prefix_and_secret(session: Session, clock: Clock) -> None:
    first, second = make_key(session, clock), make_key(session, clock)
    assert first.prefix != second.prefix
    assert first.key.split("_", 2)[2] != second.key.split("_", 2)[2]


@pytest.mark.parametrize(
    "presented",
    [None, "", "Bearer", "tp_", "tp_short", "sk_live_abcdef", "x" * 5000],
)
def test_missing_and_malformed_keys_are_refused_with_one_message(
    session: Session, clock: Clock, presented: str | None
) -> None:
    make_key(session, clock)
    with pytest.raises(InvalidApiKey) as caught:
        service(session, clock).authenticate(presented, ip=None)
    assert str(caught.value) == "The API key is missing or not valid."


def test_an_unknown_prefix_and_a_tampered_secret_are_refused_alike(
    session: Session, clock: Clock
) -> None:
    new = make_key(session, clock)
    tampered = new.key[:-1] + ("A" if new.key[-1] != "A" else "B")
    unknown = f"tp_ZZZZZZZZ_{new.key.split('_', 2)[2]}"
    messages: set[str] = set()
    for presented in (tampered, unknown):
        with pytest.raises(InvalidApiKey) as caught:
            service(session, clock).authenticate(presented, ip="10.0.0.1")
        messages.add(str(caught.value))
    assert len(messages) == 1
    assert session.exec(select(ApiKey)).one().last_used_at is None


def test_a_revoked_key_stops_at_once(session: Session, clock: Clock) -> None:
    new = make_key(session, clock)
    service(session, clock).authenticate(new.key, ip=None)
    service(session, clock).revoke(prefix=new.prefix)
    session.commit()
    with pytest.raises(InvalidApiKey):
        service(session, clock).authenticate(new.key, ip=None)


def test_an_expired_key_is_refused(session: Session, clock: Clock) -> None:
    new = make_key(session, clock, expires_in=timedelta(hours=12))
    clock.advance(timedelta(hours=11, minutes=59))
    service(session, clock).authenticate(new.key, ip=None)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(InvalidApiKey):
        service(session, clock).authenticate(new.key, ip=None)


def test_a_key_without_expiry_keeps_working(session: Session, clock: Clock) -> None:
    new = make_key(session, clock, expires_in=None)
    clock.advance(timedelta(days=3000))
    assert service(session, clock).authenticate(new.key, ip=None).id == new.api_key.id


def test_a_rotated_key_works_during_the_grace_period_and_not_after(
    session: Session, clock: Clock
) -> None:
    old = make_key(session, clock, scopes=("tasks:read", "agent:run"))
    new = service(session, clock).rotate(prefix=old.prefix, grace=timedelta(hours=24))
    session.commit()
    assert new.prefix != old.prefix
    assert new.api_key.team_id == TEAM
    assert new.api_key.name == "Zapier"
    assert new.api_key.scopes == ["tasks:read", "agent:run"]
    # The new key lives as long as the old one was meant to, counted from the rotation.
    assert new.api_key.expires_at == START + timedelta(days=90)

    clock.advance(timedelta(hours=23, minutes=59))
    assert service(session, clock).authenticate(old.key, ip=None).id == old.api_key.id
    assert service(session, clock).authenticate(new.key, ip=None).id == new.api_key.id

    clock.advance(timedelta(minutes=1))
    with pytest.raises(InvalidApiKey):
        service(session, clock).authenticate(old.key, ip=None)
    assert service(session, clock).authenticate(new.key, ip=None).id == new.api_key.id
    stored = session.get(ApiKey, old.api_key.id)
    assert stored is not None
    assert key_record(stored, now=clock.now)["status"] == "expired"


def test_revoking_a_rotated_key_ends_its_grace_period(session: Session, clock: Clock) -> None:
    old = make_key(session, clock)
    service(session, clock).rotate(prefix=old.prefix, grace=timedelta(hours=24))
    service(session, clock).revoke(prefix=old.prefix)
    session.commit()
    with pytest.raises(InvalidApiKey):
        service(session, clock).authenticate(old.key, ip=None)


def test_a_key_is_rotated_once_and_a_revoked_one_not_at_all(session: Session, clock: Clock) -> None:
    old = make_key(session, clock)
    service(session, clock).rotate(prefix=old.prefix, grace=timedelta(hours=1))
    with pytest.raises(InvalidTaskInput, match="only an active key can be rotated"):
        service(session, clock).rotate(prefix=old.prefix, grace=timedelta(hours=1))
    other = make_key(session, clock)
    service(session, clock).revoke(prefix=other.prefix)
    with pytest.raises(InvalidTaskInput, match="revoked"):
        service(session, clock).rotate(prefix=other.prefix, grace=timedelta(hours=1))
    with pytest.raises(InvalidTaskInput, match="already revoked"):
        service(session, clock).revoke(prefix=other.prefix)


def test_unknown_prefixes_say_so(session: Session, clock: Clock) -> None:
    new = make_key(session, clock)
    with pytest.raises(ApiKeyNotFound, match="no API key with the prefix 'nothere1'"):
        service(session, clock).revoke(prefix="nothere1")
    with pytest.raises(ApiKeyNotFound):
        service(session, clock).rotate(prefix=new.prefix, grace=timedelta(0), team_id="T0OTHER")


def test_last_use_time_and_address_are_recorded(session: Session, clock: Clock) -> None:
    new = make_key(session, clock)
    clock.advance(timedelta(minutes=5))
    service(session, clock).authenticate(new.key, ip="10.0.0.1")
    session.commit()
    stored = session.exec(select(ApiKey)).one()
    assert stored.last_used_at == START + timedelta(minutes=5)
    assert stored.last_used_ip == "10.0.0.1"

    clock.advance(timedelta(minutes=10))
    service(session, clock).authenticate(new.key, ip="10.0.0.1")
    session.commit()
    session.refresh(stored)
    assert stored.last_used_at == START + timedelta(minutes=15)


def test_a_new_address_is_audited_once(session: Session, clock: Clock) -> None:
    new = make_key(session, clock)
    for ip in ("10.0.0.1", "10.0.0.1", "10.0.0.1", "192.0.2.7", "192.0.2.7"):
        clock.advance(timedelta(minutes=2))
        service(session, clock, request_id=f"req-{ip}").authenticate(new.key, ip=ip)
    session.commit()
    used = [e for e in key_events(session) if e.action == AuditAction.key_used_new_ip]
    assert [e.changes for e in used] == [
        {"ip": [None, "10.0.0.1"]},
        {"ip": ["10.0.0.1", "192.0.2.7"]},
    ]
    assert {e.subject for e in used} == {new.prefix}
    assert {e.actor_id for e in used} == {f"apikey:{new.prefix}"}
    assert [e.request_id for e in used] == ["req-10.0.0.1", "req-192.0.2.7"]


def test_each_key_action_is_audited_with_before_after_and_request_id(
    session: Session, clock: Clock
) -> None:
    keys = service(session, clock, request_id="req-1")
    created = keys.create(
        team_id=TEAM, name="Dashboard", scopes="tasks:read,audit:read", expires_in=None
    )
    clock.advance(timedelta(hours=1))
    rotated = ApiKeyService(
        session, actor_id="U0ADMIN", source="test", request_id="req-2", clock=clock
    ).rotate(prefix=created.prefix, grace=timedelta(hours=2))
    ApiKeyService(
        session, actor_id="U0OTHERADMIN", source="cli", request_id="req-3", clock=clock
    ).revoke(prefix=rotated.prefix)
    session.commit()

    summary = [
        (e.action, e.subject, e.actor_id, e.request_id, e.team_id, e.task_number)
        for e in key_events(session)
    ]
    assert summary == [
        (AuditAction.key_created, created.prefix, "U0ADMIN", "req-1", TEAM, None),
        (AuditAction.key_created, rotated.prefix, "U0ADMIN", "req-2", TEAM, None),
        (AuditAction.key_rotated, created.prefix, "U0ADMIN", "req-2", TEAM, None),
        (AuditAction.key_revoked, rotated.prefix, "U0OTHERADMIN", "req-3", TEAM, None),
    ]
    first, second, third, fourth = key_events(session)
    assert first.changes == {
        "name": [None, "Dashboard"],
        "scopes": [None, ["tasks:read", "audit:read"]],
        "expires_at": [None, None],
    }
    assert second.changes["replaces"] == [None, created.prefix]
    grace_until = (START + timedelta(hours=3)).isoformat()
    assert third.changes == {
        "grace_until": [None, grace_until],
        "replaced_by": [None, rotated.prefix],
    }
    assert fourth.changes == {"revoked_at": [None, (START + timedelta(hours=1)).isoformat()]}
    assert fourth.source == "cli"
    # No event ever carries a secret.
    for new in (created, rotated):
        secret = new.key.split("_", 2)[2]
        assert all(secret not in repr(e.changes) for e in key_events(session))


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ("tasks:read,tasks:admin", "'tasks:admin' is not a scope"),
        ("", "needs at least one scope"),
    ],
)
def test_unknown_or_missing_scopes_list_the_valid_ones(
    session: Session, clock: Clock, scopes: str, message: str
) -> None:
    with pytest.raises(InvalidTaskInput, match=message) as caught:
        service(session, clock).create(team_id=TEAM, name="x", scopes=scopes, expires_in=None)
    assert all(scope in str(caught.value) for scope in SCOPES)
    assert session.exec(select(ApiKey)).all() == []


def test_keys_are_listed_per_team(session: Session, clock: Clock) -> None:
    mine = make_key(session, clock)
    theirs = make_key(session, clock, team="T0OTHER")
    keys = service(session, clock)
    assert [k.prefix for k in keys.list_keys(team_id=TEAM)] == [mine.prefix]
    assert {k.prefix for k in keys.list_keys(team_id=None)} == {mine.prefix, theirs.prefix}
    record = key_record(keys.list_keys(team_id=TEAM)[0], now=clock.now)
    assert "key_hash" not in record and "key" not in record
    assert record["status"] == "active"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        (" 2W ", timedelta(weeks=2)),
        ("0h", timedelta(0)),
    ],
)
def test_durations_are_read(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "90", "d", "1.5h", "-3d", "3 days", "99999999d", "4000d"])
def test_bad_durations_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidTaskInput, match=r"90d|at most"):
        parse_duration(text)


# TaskService additions: request ids on audit events, and integrations that may change any task.


def test_task_service_stores_the_request_id_on_its_audit_events(
    session: Session, seeded_team: SeededTeam
) -> None:
    tasks = TaskService(
        session, team_id=TEAM, actor_id=seeded_team.alice, source="api", request_id="req-42"
    )
    task = tasks.create_task(title="Renew the TLS certificate")
    tasks.update_task(number=task.number, status="done")
    session.commit()
    assert [(e.action, e.request_id) for e in key_events(session)] == [
        (AuditAction.create, "req-42"),
        (AuditAction.update, "req-42"),
    ]


def test_an_integration_with_may_change_any_changes_tasks_people_could_not(
    session: Session, seeded_team: SeededTeam
) -> None:
    alice = TaskService(session, team_id=TEAM, actor_id=seeded_team.alice, source="test")
    task = alice.create_task(title="Send the Q3 deck", assignee_id=seeded_team.bob)
    session.commit()

    person = TaskService(session, team_id=TEAM, actor_id=seeded_team.carol, source="test")
    with pytest.raises(PermissionDenied):
        person.update_task(number=task.number, status="done")
    with pytest.raises(PermissionDenied):
        person.delete_task(number=task.number)

    integration = TaskService(
        session, team_id=TEAM, actor_id="apikey:abcd1234", source="api", may_change_any=True
    )
    assert integration.update_task(number=task.number, priority="high").priority == "high"
    assert integration.assign_task(number=task.number, assignee_id=seeded_team.carol)
    assert integration.update_task(number=task.number, status="done").status == "done"
    integration.delete_task(number=task.number)
    session.commit()
    assert alice.list_tasks() == []


def test_may_change_any_stays_inside_its_team(session: Session, seeded_team: SeededTeam) -> None:
    other = TaskService(
        session, team_id=seeded_team.other_team_id, actor_id=seeded_team.erin, source="test"
    )
    task = other.create_task(title="Their private task")
    session.commit()
    integration = TaskService(
        session, team_id=TEAM, actor_id="apikey:abcd1234", source="api", may_change_any=True
    )
    with pytest.raises(TaskNotFound):
        integration.delete_task(number=task.number)
    assert other.get_task(number=task.number).title == "Their private task"


def test_two_admins_rotating_one_key_at_once_give_it_one_successor(
    session_factory: SessionFactory, clock: Clock
) -> None:
    with session_factory() as setup:
        old = make_key(setup, clock)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rotate() -> None:
        with session_factory() as own:
            barrier.wait()
            try:
                service(own, clock).rotate(prefix=old.prefix, grace=timedelta(hours=1))
                own.commit()
                outcomes.append("rotated")
            except InvalidTaskInput:
                own.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=rotate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "rotated"]
    with session_factory() as check:
        assert len(check.exec(select(ApiKey)).all()) == 2
