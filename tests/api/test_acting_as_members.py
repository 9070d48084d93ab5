"""Who an API key may speak as in an agent turn, and what that turn may do: through
`POST /api/v1/agent/turns`, on SQLite and PostgreSQL.

A key speaks as one member it is bound to, or, with the `agent:act_as` scope, as any active
person of its team. The turn's tools are limited by the key's scopes as well as by the
member's rights; its audit rows name the key; and its turns count in buckets of their own.
"""

from __future__ import annotations

from typing import Any

import pydantic_ai.models
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from core.rate_limiter import RateLimiter
from slack_app.gate.over_limit import slack_turn_allowed
from tasks.directory import UserDirectory
from tasks.models import AuditEvent
from tests.api.support import TEAM, ApiHarness, assert_problem, auth, open_harness
from tests.conftest import SeededTeam

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

TURNS = "/api/v1/agent/turns"
READ_WRITE = ["agent:run", "tasks:read", "tasks:write"]


def _turn(api: ApiHarness, key: str, **body: Any) -> Any:
    return api.client.post(TURNS, json=body, headers=auth(key))


def _prefix(key: str) -> str:
    return key.split("_")[1]


def test_a_key_that_may_not_act_as_members_cannot_name_one(api: ApiHarness) -> None:
    key = api.key(scopes=READ_WRITE)
    response = _turn(api, key, user="U0ALICE", text="add a task to call the bank")
    assert_problem(response, 403)
    assert "agent:act_as" in response.json()["detail"]
    assert api.tasks_of() == []


def test_a_key_bound_to_a_member_speaks_only_as_them(api: ApiHarness) -> None:
    key = api.key(scopes=READ_WRITE, member="U0ALICE")
    done = _turn(api, key, text="add a task to call the bank")
    assert done.status_code == 200, done.text
    [task] = api.tasks_of()
    assert task.creator_id == "U0ALICE"
    assert _turn(api, key, user="U0ALICE", text="show my tasks").status_code == 200
    other = _turn(api, key, user="U0BOB", text="add a task to call the bank")
    assert_problem(other, 403)
    assert len(api.tasks_of()) == 1


def test_an_act_as_key_speaks_for_any_active_person_of_its_team(api: ApiHarness) -> None:
    key = api.key(scopes=[*READ_WRITE, "agent:act_as"])
    assert _turn(api, key, user="U0BOB", text="add a task to order toner").status_code == 200
    [task] = api.tasks_of()
    assert task.creator_id == "U0BOB"
    for stranger in ("U0ERIN", "U0DAVE", "B0BOT", "U0NOBODY"):
        refused = _turn(api, key, user=stranger, text="add a task to order toner")
        assert_problem(refused, 403)
    assert len(api.tasks_of()) == 1


def test_a_key_without_a_member_or_act_as_must_say_nothing_of_a_user(api: ApiHarness) -> None:
    key = api.key(scopes=[*READ_WRITE, "agent:act_as"])
    assert_problem(_turn(api, key, text="add a task to order toner"), 422)


def test_a_turn_cannot_read_tasks_without_tasks_read(api: ApiHarness) -> None:
    writer = api.key(scopes=["tasks:write"])
    api.client.post("/api/v1/tasks", json={"title": "Secret launch plan"}, headers=auth(writer))
    key = api.key(scopes=["agent:run", "tasks:write"], member="U0ALICE")
    body = _turn(api, key, text="show all tasks").json()
    assert body["cards"] == []
    assert "Secret launch plan" not in body["reply"]
    assert [call["ok"] for call in body["tool_calls"]] == [False]
    assert "tasks:read" in body["reply"]


def test_a_turn_cannot_write_or_delete_without_tasks_write(api: ApiHarness) -> None:
    writer = api.key(scopes=["tasks:write"])
    made = api.client.post("/api/v1/tasks", json={"title": "Keep me"}, headers=auth(writer))
    number = made.json()["id"]
    key = api.key(scopes=["agent:run", "tasks:read"], member="U0ALICE")
    body = _turn(api, key, text="add a task to call the bank").json()
    assert [call["ok"] for call in body["tool_calls"]] == [False]
    assert "tasks:write" in body["reply"]
    _turn(api, key, text=f"delete task {number}", conversation_id="c1")
    _turn(api, key, text="yes", conversation_id="c1")
    assert [task.title for task in api.tasks_of()] == ["Keep me"]


def test_the_audit_rows_of_a_turn_name_the_key_and_the_member(api: ApiHarness) -> None:
    key = api.key(scopes=READ_WRITE, member="U0ALICE")
    assert _turn(api, key, text="add a task to renew the lease").status_code == 200
    with api.session_factory() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.task_number != None)).all()  # noqa: E711
    [event] = events
    assert (event.actor_id, event.source, event.api_key) == ("U0ALICE", "api", _prefix(key))
    exported = api.client.get("/api/v1/audit", headers=auth(api.key(scopes=["audit:read"])))
    assert exported.status_code == 200, exported.text
    [row] = [row for row in exported.json()["items"] if row.get("task")]
    assert row["api_key"] == _prefix(key)


@pytest.fixture
def tight(engine: Engine, seeded_team: SeededTeam) -> Any:
    with open_harness(
        engine,
        TASKPILOT_RATE_LIMIT_AGENT_USER="5/minute",
        TASKPILOT_RATE_LIMIT_AGENT_KEY="2/minute",
        TASKPILOT_RATE_LIMIT_AGENT_TEAM="2/minute",
    ) as harness:
        yield harness


def test_switching_the_person_does_not_escape_the_keys_budget(tight: ApiHarness) -> None:
    key = tight.key(scopes=[*READ_WRITE, "agent:act_as"])
    statuses = [
        _turn(tight, key, user=user, text="what's on my plate?").status_code
        for user in ("U0ALICE", "U0BOB", "U0CAROL")
    ]
    assert statuses == [200, 200, 429]


def test_api_turns_do_not_spend_the_teams_slack_budget(tight: ApiHarness) -> None:
    key = tight.key(scopes=READ_WRITE, member="U0ALICE")
    for _ in range(2):
        assert _turn(tight, key, text="what's on my plate?").status_code == 200
    limiter = tight.client.app.state.rate_limiter  # type: ignore[attr-defined]
    assert isinstance(limiter, RateLimiter)
    assert tight.client.portal.call(  # type: ignore[union-attr]
        lambda: slack_turn_allowed(limiter, team_id=TEAM, user_id="U0BOB")
    )


def test_one_persons_yes_never_confirms_anothers_delete(api: ApiHarness) -> None:
    """Conversations of an `agent:act_as` key are kept per person, even under one id: Bob's
    "yes" in the conversation where Alice was asked does not delete her task."""
    key = api.key(scopes=[*READ_WRITE, "agent:act_as"])
    _turn(api, key, user="U0ALICE", text="add a task to renew the lease")
    [task] = api.tasks_of()
    asked = _turn(api, key, user="U0ALICE", text=f"delete task {task.number}", conversation_id="c1")
    assert asked.json()["pending_confirmation"]
    answered = _turn(api, key, user="U0BOB", text="yes", conversation_id="c1")
    assert answered.status_code == 200
    assert answered.json()["conversation_id"] == "c1"
    assert [kept.title for kept in api.tasks_of()] == ["Renew the lease"]


def test_a_key_bound_to_a_member_who_left_speaks_no_more(api: ApiHarness) -> None:
    key = api.key(scopes=READ_WRITE, member="U0ALICE")
    with api.session_factory() as session, session.begin():
        directory = UserDirectory(session, team_id=TEAM)
        alice = directory.get("U0ALICE")
        assert alice is not None
        directory.upsert(user_id="U0ALICE", handle=alice.handle, deleted=True)
    refused = _turn(api, key, text="add a task to call the bank")
    assert_problem(refused, 403)
    assert "deactivated" in refused.json()["detail"]
    assert api.tasks_of() == []
