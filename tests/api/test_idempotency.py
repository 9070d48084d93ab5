"""`Idempotency-Key` on POST: replays, mismatches, expiry and concurrent duplicates, on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi import HTTPException
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from api import idempotency
from api.idempotency import (
    ABANDONED_AFTER,
    DONE,
    IN_PROGRESS,
    release,
    request_hash,
    run_idempotent,
)
from api.schemas import AgentTurnCreate, TaskAssign, TaskCreate
from tasks.models import ApiKey, IdempotencyRecord, utcnow
from tests.api.support import ApiHarness, assert_problem, auth

TASKS = "/api/v1/tasks"


def _post(api: ApiHarness, key: str, body: dict[str, Any], idem: str, path: str = TASKS) -> Any:
    return api.client.post(path, json=body, headers={**auth(key), "Idempotency-Key": idem})


def test_a_retry_with_the_same_key_and_body_replays_the_first_response(
    api: ApiHarness, key: str
) -> None:
    first = _post(api, key, {"title": "Renew the TLS certificate"}, "retry-1")
    again = _post(api, key, {"title": "Renew the TLS certificate"}, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(api.tasks_of()) == 1


def test_the_same_key_with_another_body_is_422(api: ApiHarness, key: str) -> None:
    _post(api, key, {"title": "One"}, "k")
    body = assert_problem(_post(api, key, {"title": "Two"}, "k"), 422)
    assert "Idempotency-Key" in body["detail"]
    assert [task.title for task in api.tasks_of()] == ["One"]


def test_keys_belong_to_one_api_key(api: ApiHarness, key: str) -> None:
    other = api.key()
    _post(api, key, {"title": "Mine"}, "shared")
    theirs = _post(api, other, {"title": "Mine"}, "shared")
    assert theirs.status_code == 201 and "idempotent-replayed" not in theirs.headers
    assert len(api.tasks_of()) == 2


def test_without_a_key_each_post_creates_a_task(api: ApiHarness, key: str) -> None:
    for _ in range(2):
        api.client.post(TASKS, json={"title": "Same"}, headers=auth(key))
    assert len(api.tasks_of()) == 2


@pytest.mark.parametrize("idem", ["", "k" * 256])
def test_a_key_of_a_bad_length_is_422(api: ApiHarness, key: str, idem: str) -> None:
    assert_problem(_post(api, key, {"title": "x"}, idem), 422)
    assert api.tasks_of() == []


def test_a_failed_request_releases_its_key(api: ApiHarness, key: str) -> None:
    refused = _post(api, key, {"title": "x", "assignee": "U0NOBODY"}, "fix-and-retry")
    assert_problem(refused, 422)
    assert (
        _post(api, key, {"title": "x", "assignee": "U0NOBODY"}, "fix-and-retry").status_code == 422
    )
    with api.session_factory() as session:
        assert session.exec(select(IdempotencyRecord)).all() == []


def test_assign_replays_too(api: ApiHarness, key: str) -> None:
    task = _post(api, key, {"title": "x"}, "create").json()
    path = f"{TASKS}/{task['id']}/assign"
    first = _post(api, key, {"assignee": "U0BOB"}, "assign", path)
    api.client.post(path, json={"assignee": None}, headers=auth(key))
    replay = _post(api, key, {"assignee": "U0BOB"}, "assign", path)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    # A replay returns the stored answer; it does not assign again.
    assert api.tasks_of()[0].assignee_id is None


def test_an_expired_record_is_replaced(api: ApiHarness, key: str) -> None:
    _post(api, key, {"title": "Old"}, "reused")
    ttl = timedelta(hours=api.context.settings.idempotency_ttl_hours)
    with api.session_factory() as session, session.begin():
        (record,) = session.exec(select(IdempotencyRecord)).all()
        record.created_at = utcnow() - ttl - timedelta(minutes=1)
        session.add(record)
    fresh = _post(api, key, {"title": "New"}, "reused")
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert [task.title for task in api.tasks_of()] == ["Old", "New"]


def test_a_duplicate_while_the_first_runs_is_409(api: ApiHarness, key: str) -> None:
    api.context.idempotency_wait_seconds = 0.1
    fingerprint_source = _post(api, key, {"title": "Probe"}, "probe")
    assert fingerprint_source.status_code == 201
    with api.session_factory() as session, session.begin():
        (probe,) = session.exec(select(IdempotencyRecord)).all()
        session.add(
            IdempotencyRecord(
                api_key_id=probe.api_key_id,
                key="running",
                request_hash=probe.request_hash,
                state=IN_PROGRESS,
                created_at=utcnow(),
            )
        )
    response = _post(api, key, {"title": "Probe"}, "running")
    body = assert_problem(response, 409)
    assert response.headers["retry-after"] == "1"
    assert "still being processed" in body["detail"]
    assert len(api.tasks_of()) == 1


def test_concurrent_duplicates_create_exactly_one_task(api: ApiHarness, key: str) -> None:
    api.context.idempotency_wait_seconds = 10.0
    start = threading.Barrier(6)
    responses: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        response = _post(api, key, {"title": "Only once"}, "burst")
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.tasks_of()) == 1
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}
    created = [response.json() for response in responses if response.status_code == 201]
    assert created and all(body == created[0] for body in created)
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert len(replayed) == len(created) - 1


def _hold(api: ApiHarness, key: str, idem: str, fingerprint: str) -> None:
    """Make `idem` look taken by a request of `key` that is still running."""
    with api.session_factory() as session, session.begin():
        row = session.exec(select(ApiKey).where(ApiKey.prefix == key.split("_")[1])).one()
        assert row.id is not None
        session.add(
            IdempotencyRecord(
                api_key_id=row.id,
                key=idem,
                request_hash=fingerprint,
                state=IN_PROGRESS,
                created_at=utcnow(),
            )
        )


def test_assign_and_agent_turns_answer_409_while_a_duplicate_runs(
    api: ApiHarness, key: str
) -> None:
    api.context.idempotency_wait_seconds = 0.1
    task = api.client.post(TASKS, json={"title": "x"}, headers=auth(key)).json()
    assign_path = f"{TASKS}/{task['id']}/assign"
    assign = TaskAssign(assignee="U0BOB")
    _hold(
        api,
        key,
        "assign-held",
        request_hash(method="POST", path=assign_path, payload=assign.model_dump(mode="json")),
    )
    assert_problem(_post(api, key, {"assignee": "U0BOB"}, "assign-held", assign_path), 409)
    assert api.tasks_of()[0].assignee_id is None

    turn = AgentTurnCreate(user="U0ALICE", text="add a task to call the bank")
    turns = "/api/v1/agent/turns"
    _hold(
        api,
        key,
        "turn-held",
        request_hash(method="POST", path=turns, payload=turn.model_dump(mode="json")),
    )
    held = _post(
        api, key, {"user": "U0ALICE", "text": "add a task to call the bank"}, "turn-held", turns
    )
    assert_problem(held, 409)
    assert len(api.tasks_of()) == 1


# A request that died mid-flight (bug 6 of the database-outage drill): its `in_progress`
# record stays behind when the release fails too, and a retry takes it over after the bound.


def _api_key_id(api: ApiHarness, key: str) -> int:
    with api.session_factory() as session:
        row = session.exec(select(ApiKey).where(ApiKey.prefix == key.split("_")[1])).one()
        assert row.id is not None
        return row.id


def _create_fingerprint(title: str) -> str:
    """The fingerprint of `POST /api/v1/tasks` with body `{"title": title}`."""
    payload = TaskCreate(title=title).model_dump(mode="json")
    return request_hash(method="POST", path=TASKS, payload=payload)


def _leave_behind(
    api: ApiHarness, key: str, idem: str, fingerprint: str, *, age: timedelta
) -> None:
    """An `in_progress` record of `key` for `idem`, claimed `age` ago by a request that died."""
    api_key_id = _api_key_id(api, key)
    with api.session_factory() as session, session.begin():
        session.add(
            IdempotencyRecord(
                api_key_id=api_key_id,
                key=idem,
                request_hash=fingerprint,
                state=IN_PROGRESS,
                created_at=utcnow() - age,
            )
        )


def _records(api: ApiHarness) -> list[IdempotencyRecord]:
    with api.session_factory() as session:
        return list(session.exec(select(IdempotencyRecord)).all())


def test_an_abandoned_in_progress_record_is_taken_over_by_a_retry(
    api: ApiHarness, key: str
) -> None:
    api.context.idempotency_wait_seconds = 0.1
    title = "Rotate the database password"
    _leave_behind(
        api, key, "died", _create_fingerprint(title), age=ABANDONED_AFTER + timedelta(seconds=1)
    )
    retry = _post(api, key, {"title": title}, "died")
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    (record,) = _records(api)
    assert record.state == DONE and record.status_code == 201
    # The retry's response is the one stored from now on.
    again = _post(api, key, {"title": title}, "died")
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == retry.json()
    assert [task.title for task in api.tasks_of()] == [title]


def test_an_in_progress_record_younger_than_the_bound_is_still_409(
    api: ApiHarness, key: str
) -> None:
    api.context.idempotency_wait_seconds = 0.1
    title = "Still running"
    _leave_behind(
        api, key, "young", _create_fingerprint(title), age=ABANDONED_AFTER - timedelta(seconds=5)
    )
    response = _post(api, key, {"title": title}, "young")
    assert_problem(response, 409)
    assert response.headers["retry-after"] == "1"
    assert api.tasks_of() == []
    (record,) = _records(api)
    assert record.state == IN_PROGRESS


def test_an_abandoned_record_of_another_body_is_still_422(api: ApiHarness, key: str) -> None:
    _leave_behind(
        api, key, "other", _create_fingerprint("One"), age=ABANDONED_AFTER + timedelta(seconds=1)
    )
    assert_problem(_post(api, key, {"title": "Two"}, "other"), 422)
    assert api.tasks_of() == []


def test_concurrent_retries_of_an_abandoned_record_create_exactly_one_task(
    api: ApiHarness, key: str
) -> None:
    api.context.idempotency_wait_seconds = 10.0
    title = "Only one takes it over"
    _leave_behind(
        api, key, "stuck", _create_fingerprint(title), age=ABANDONED_AFTER + timedelta(seconds=1)
    )
    start = threading.Barrier(4)
    responses: list[Any] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait()
        response = _post(api, key, {"title": title}, "stuck")
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [task.title for task in api.tasks_of()] == [title]
    assert {response.status_code for response in responses} <= {201, 409}
    fresh = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(fresh) == 1
    replayed = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert all(r.json() == fresh[0].json() for r in replayed)


def _dead(statement: str) -> OperationalError:
    return OperationalError(statement, None, ConnectionError("terminating connection"))


def test_a_request_whose_work_and_release_fail_is_taken_over_after_the_bound(
    api: ApiHarness, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "_RELEASE_BACKOFF_SECONDS", (0.0,))
    api.context.idempotency_wait_seconds = 0.1
    title = "Written during the outage"
    connection_up = True
    sessions_refused = 0

    def session_factory() -> Session:
        # The database connection is gone once the work failed: the release fails as well.
        nonlocal sessions_refused
        if not connection_up:
            sessions_refused += 1
            raise _dead("BEGIN")
        return api.session_factory()

    def work(session: Session) -> tuple[int, Any, dict[str, str]]:
        nonlocal connection_up
        connection_up = False
        raise _dead("INSERT INTO tasks")

    with pytest.raises(OperationalError):
        run_idempotent(
            session_factory,
            api_key_id=_api_key_id(api, key),
            key="outage",
            fingerprint=_create_fingerprint(title),
            ttl=timedelta(hours=24),
            wait_seconds=0.1,
            work=work,
        )
    # The release was tried on a fresh session each time, a bounded number of times.
    assert sessions_refused == idempotency.RELEASE_ATTEMPTS
    (record,) = _records(api)
    assert record.state == IN_PROGRESS
    # While the record is younger than the bound, the request might still be running.
    assert_problem(_post(api, key, {"title": title}, "outage"), 409)
    with api.session_factory() as session, session.begin():
        (left,) = session.exec(select(IdempotencyRecord)).all()
        left.created_at = utcnow() - ABANDONED_AFTER - timedelta(seconds=1)
        session.add(left)
    retry = _post(api, key, {"title": title}, "outage")
    assert retry.status_code == 201, retry.text
    assert [task.title for task in api.tasks_of()] == [title]


def test_a_release_that_fails_once_is_retried_on_a_fresh_session(
    api: ApiHarness, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(idempotency, "_RELEASE_BACKOFF_SECONDS", (0.0,))
    fingerprint = _create_fingerprint("x")
    claimed = idempotency.claim(
        api.session_factory,
        api_key_id=_api_key_id(api, key),
        key="flaky",
        fingerprint=fingerprint,
        ttl=timedelta(hours=24),
        wait_seconds=0.0,
    )
    assert isinstance(claimed, idempotency.Claim)
    calls = 0

    def flaky_factory() -> Session:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise _dead("BEGIN")
        return api.session_factory()

    release(flaky_factory, claimed)
    assert calls == 2
    assert _records(api) == []


def test_a_request_taken_over_while_still_running_rolls_its_work_back(
    api: ApiHarness, key: str
) -> None:
    api_key_id = _api_key_id(api, key)
    fingerprint = _create_fingerprint("slow")
    retries: list[Any] = []

    def slow_work(session: Session) -> tuple[int, Any, dict[str, str]]:
        # A retry takes the key over while this request runs (here before its first write).
        retries.append(
            idempotency.claim(
                api.session_factory,
                api_key_id=api_key_id,
                key="slow",
                fingerprint=fingerprint,
                ttl=timedelta(hours=24),
                wait_seconds=0.0,
                abandon_after=timedelta(0),
            )
        )
        # This request's write: a marker row that must not survive the lost claim.
        session.add(
            IdempotencyRecord(
                api_key_id=api_key_id,
                key="written-by-the-slow-request",
                request_hash=fingerprint,
                state=DONE,
                created_at=utcnow(),
            )
        )
        return 201, {"ok": True}, {}

    with pytest.raises(HTTPException) as raised:
        run_idempotent(
            api.session_factory,
            api_key_id=api_key_id,
            key="slow",
            fingerprint=fingerprint,
            ttl=timedelta(hours=24),
            wait_seconds=0.0,
            work=slow_work,
        )
    assert raised.value.status_code == 409
    (taken,) = retries
    assert isinstance(taken, idempotency.Claim)
    # The slow request's work was rolled back, and the retry's claim was not released by it.
    (record,) = _records(api)
    assert record.key == "slow" and record.state == IN_PROGRESS
    assert record.created_at == taken.claimed_at
