"""`POST /api/v1/agent/turns` with the offline model: a turn acts for the key's team as the
stated person, and its statuses are the documented ones. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest
from sqlmodel import select

from tasks.models import AuditEvent
from tests.api.support import OTHER_TEAM, ApiHarness, assert_problem, auth

TURNS = "/api/v1/agent/turns"

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


@pytest.fixture
def key(api: ApiHarness) -> str:
    return api.key(scopes=["agent:run", "agent:act_as", "tasks:read", "tasks:write"])


def _turn(api: ApiHarness, key: str, **body: Any) -> Any:
    return api.client.post(TURNS, json=body, headers=auth(key))


def test_a_turn_creates_the_task_and_returns_the_contract_and_cards(
    api: ApiHarness, key: str
) -> None:
    response = _turn(api, key, user="U0ALICE", text="remind bob to send the Q3 deck by friday")
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"reply", "tool_calls", "model", "prompt_version", "cards", "conversation_id"} <= set(
        body
    )
    assert body["tool_calls"][0]["tool"] == "create_task" and body["tool_calls"][0]["ok"]
    assert body["model"] == "offline"
    (task,) = api.tasks_of()
    assert task.assignee_id == "U0BOB" and task.creator_id == "U0ALICE"
    assert body["cards"][0]["id"] == task.number
    assert api.tasks_of(OTHER_TEAM) == []


def test_a_delete_waits_for_the_persons_yes_in_the_same_conversation(
    api: ApiHarness, key: str
) -> None:
    _turn(api, key, user="U0ALICE", text="add a task to renew the TLS certificate")
    number = api.tasks_of()[0].number
    asked = _turn(api, key, user="U0ALICE", text=f"delete task {number}", conversation_id="c1")
    assert asked.json()["pending_confirmation"]
    assert len(api.tasks_of()) == 1
    _turn(api, key, user="U0ALICE", text="yes", conversation_id="c1")
    assert api.tasks_of() == []


def test_a_turn_only_sees_the_keys_team(api: ApiHarness, key: str) -> None:
    writer = api.key(team=OTHER_TEAM)
    api.client.post("/api/v1/tasks", json={"title": "Other team secret"}, headers=auth(writer))
    _turn(api, key, user="U0ALICE", text="add a task to book the venue")
    body = _turn(api, key, user="U0ALICE", text="show all tasks").json()
    assert [card["title"] for card in body["cards"]] == ["Book the venue"]
    assert "Other team secret" not in body["reply"]
    assert all(card.get("title") != "Other team secret" for card in body["cards"])


def test_a_turn_needs_the_agent_scope(api: ApiHarness) -> None:
    reader = api.key(scopes=["tasks:read", "tasks:write"])
    assert_problem(_turn(api, reader, user="U0ALICE", text="add a task to call mom"), 403)
    assert api.tasks_of() == []


def test_a_turn_needs_a_key(api: ApiHarness) -> None:
    assert_problem(api.client.post(TURNS, json={"user": "U0ALICE", "text": "hi"}), 401)


@pytest.mark.parametrize(
    "body",
    [
        {"text": "hi"},
        {"user": "U0ALICE"},
        {"user": "U0ALICE", "text": ""},
        {"user": "U0ALICE", "text": "x" * 4001},
        {"user": "<@U0ALICE>", "text": "hi"},
        {"user": "U0ALICE", "text": "hi", "team": "T0OTHER"},
        {"user": "U0ALICE", "text": "hi", "conversation_id": "a b"},
    ],
    ids=["no-user", "no-text", "empty", "too-long", "mention", "team-field", "bad-conversation"],
)
def test_bad_turn_bodies_are_422(api: ApiHarness, key: str, body: dict[str, Any]) -> None:
    assert_problem(api.client.post(TURNS, json=body, headers=auth(key)), 422)


def test_a_retried_turn_is_replayed_not_run_twice(api: ApiHarness, key: str) -> None:
    body = {"user": "U0ALICE", "text": "add a task to water the plants"}
    headers = {**auth(key), "Idempotency-Key": "turn-1"}
    first = api.client.post(TURNS, json=body, headers=headers)
    again = api.client.post(TURNS, json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(api.tasks_of()) == 1
    other = api.client.post(
        TURNS, json={**body, "text": "add a task to feed the cat"}, headers=headers
    )
    assert_problem(other, 422)


def test_a_turns_writes_carry_the_request_id_into_the_audit_log(api: ApiHarness, key: str) -> None:
    response = api.client.post(
        TURNS,
        json={"user": "U0ALICE", "text": "add a task to renew the TLS certificate"},
        headers={**auth(key), "X-Request-ID": "req-audit-42"},
    )
    assert response.status_code == 200, response.text
    with api.session_factory() as session:
        events = session.exec(select(AuditEvent)).all()
    # The key's first use from an address is an event too; the task's is the one to check.
    [event] = [event for event in events if event.task_number is not None]
    assert (event.action, event.actor_id, event.source) == ("create", "U0ALICE", "api")
    assert event.request_id == "req-audit-42"
