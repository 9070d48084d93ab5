"""`Idempotency-Key` on POST: replays, mismatches, expiry and concurrent duplicates, on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from api.idempotency import IN_PROGRESS, request_hash
from api.schemas import AgentTurnCreate, TaskAssign
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
