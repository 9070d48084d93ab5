"""REST v1 tasks as an integration sees them: every documented status, filters, paging,
partial updates and the team boundary. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from tasks.models import AuditAction, AuditEvent
from tests.api.support import (
    OTHER_TEAM,
    ApiHarness,
    assert_problem,
    auth,
    create_task,
)

TASKS = "/api/v1/tasks"


def test_create_returns_201_with_the_task_and_where_it_lives(api: ApiHarness, key: str) -> None:
    response = api.client.post(
        TASKS,
        json={
            "title": "  Send the Q3 deck ",
            "description": "to the board",
            "assignee": "U0BOB",
            "due": "2026-12-04",
            "priority": "high",
            "tags": ["#Finance", "q3"],
        },
        headers=auth(key),
    )
    assert response.status_code == 201
    task = response.json()
    assert task["title"] == "Send the Q3 deck"
    assert task["assignee"] == "U0BOB"
    assert task["due"] == "2026-12-04"
    assert task["priority"] == "high"
    assert task["tags"] == ["finance", "q3"]
    assert task["creator"].startswith("apikey:")
    assert response.headers["location"] == f"{TASKS}/{task['id']}"
    (row,) = api.tasks_of()
    assert row.number == task["id"] and row.assignee_id == "U0BOB"


def test_writes_are_audited_as_the_key_with_the_request_id(api: ApiHarness, key: str) -> None:
    created = api.client.post(
        TASKS, json={"title": "Audit me"}, headers={**auth(key), "X-Request-ID": "req-create-1"}
    )
    assert created.status_code == 201
    with api.session_factory() as session:
        events = session.exec(
            select(AuditEvent).where(col(AuditEvent.action) == AuditAction.create)
        ).all()
    assert [(e.request_id, e.source, e.actor_id) for e in events] == [
        ("req-create-1", "api", created.json()["creator"])
    ]


def test_get_returns_the_task_and_404_for_an_unknown_number(api: ApiHarness, key: str) -> None:
    task = create_task(api, key)
    got = api.client.get(f"{TASKS}/{task['id']}", headers=auth(key))
    assert got.status_code == 200 and got.json() == task
    assert_problem(api.client.get(f"{TASKS}/999", headers=auth(key)), 404)


@pytest.mark.parametrize("bad", ["0", "-1", "99999999999", "abc"])
def test_impossible_ids_are_422(api: ApiHarness, key: str, bad: str) -> None:
    path = f"{TASKS}/{bad}"
    assert_problem(api.client.get(path, headers=auth(key)), 422)
    assert_problem(api.client.patch(path, json={"title": "x"}, headers=auth(key)), 422)
    assert_problem(api.client.delete(path, headers=auth(key)), 422)
    assert_problem(
        api.client.post(f"{path}/assign", json={"assignee": None}, headers=auth(key)), 422
    )


def test_another_teams_key_can_neither_see_nor_touch_the_task(api: ApiHarness, key: str) -> None:
    task = create_task(api, key, title="Secret plan")
    other = api.key(team=OTHER_TEAM)
    path = f"{TASKS}/{task['id']}"
    missing = assert_problem(api.client.get(f"{TASKS}/424242", headers=auth(other)), 404)
    hidden = assert_problem(api.client.get(path, headers=auth(other)), 404)
    # The answer for an existing task of another team reads like the one for no task at all.
    assert hidden["detail"] == missing["detail"].replace("424242", str(task["id"]))
    assert_problem(api.client.patch(path, json={"title": "x"}, headers=auth(other)), 404)
    assert_problem(api.client.delete(path, headers=auth(other)), 404)
    assert_problem(
        api.client.post(f"{path}/assign", json={"assignee": "U0ERIN"}, headers=auth(other)), 404
    )
    listed = api.client.get(TASKS, headers=auth(other)).json()
    assert listed["items"] == []
    assert api.tasks_of()[0].title == "Secret plan"


def test_patch_changes_only_the_fields_sent(api: ApiHarness, key: str) -> None:
    task = create_task(
        api, key, description="keep me", priority="high", tags=["a"], due="2026-12-04"
    )
    path = f"{TASKS}/{task['id']}"
    response = api.client.patch(path, json={"status": "in_progress"}, headers=auth(key))
    assert response.status_code == 200
    updated = response.json()
    assert updated["status"] == "in_progress"
    for field in ("title", "description", "priority", "tags", "due"):
        assert updated[field] == task[field]
    cleared = api.client.patch(
        path, json={"description": None, "due": None, "tags": []}, headers=auth(key)
    ).json()
    assert cleared["description"] is None and cleared["due"] is None and cleared["tags"] == []
    assert cleared["priority"] == "high"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": None},
        {"status": "someday"},
        {"title": ""},
        {"owner": "x"},
        {"tags": ["t"] * 11},
    ],
    ids=["empty", "null-title", "bad-status", "blank-title", "unknown-field", "too-many-tags"],
)
def test_patch_rejects_bad_bodies_with_422(api: ApiHarness, key: str, body: dict[str, Any]) -> None:
    task = create_task(api, key)
    assert_problem(api.client.patch(f"{TASKS}/{task['id']}", json=body, headers=auth(key)), 422)
    assert api.tasks_of()[0].title == "A task"


def test_patch_of_an_unknown_task_is_404(api: ApiHarness, key: str) -> None:
    assert_problem(api.client.patch(f"{TASKS}/5", json={"title": "x"}, headers=auth(key)), 404)


def test_delete_is_204_and_then_404(api: ApiHarness, key: str) -> None:
    task = create_task(api, key)
    path = f"{TASKS}/{task['id']}"
    response = api.client.delete(path, headers=auth(key))
    assert response.status_code == 204 and response.content == b""
    assert api.tasks_of() == []
    assert_problem(api.client.delete(path, headers=auth(key)), 404)


def test_assign_gives_and_takes_the_task(api: ApiHarness, key: str) -> None:
    task = create_task(api, key)
    path = f"{TASKS}/{task['id']}/assign"
    given = api.client.post(path, json={"assignee": "U0CAROL"}, headers=auth(key))
    assert given.status_code == 200 and given.json()["assignee"] == "U0CAROL"
    taken = api.client.post(path, json={"assignee": None}, headers=auth(key))
    assert taken.status_code == 200 and taken.json()["assignee"] is None
    assert api.tasks_of()[0].assignee_id is None


def test_assigning_someone_outside_the_team_is_422(api: ApiHarness, key: str) -> None:
    task = create_task(api, key)
    path = f"{TASKS}/{task['id']}/assign"
    body = assert_problem(
        api.client.post(path, json={"assignee": "U0ERIN"}, headers=auth(key)), 422
    )
    assert body["errors"][0]["type"] == "unknown_user"
    assert_problem(
        api.client.post(f"{TASKS}/77/assign", json={"assignee": None}, headers=auth(key)), 404
    )


def test_create_rejects_bad_fields_with_422_and_creates_nothing(api: ApiHarness, key: str) -> None:
    for body in (
        {"title": "x" * 201},
        {"title": "ok", "due": "the thirtieth of februember"},
        {"title": "ok", "timezone": "Mars/Olympus"},
        {"title": "ok", "assignee": "<script>"},
        {"title": "ok", "tags": ["x" * 41]},
    ):
        assert_problem(api.client.post(TASKS, json=body, headers=auth(key)), 422)
    assert api.tasks_of() == []


def test_scopes_are_enforced_with_403(api: ApiHarness) -> None:
    reader = api.key(scopes=["tasks:read"])
    writer = api.key(scopes=["tasks:write"])
    task = create_task(api, writer)
    path = f"{TASKS}/{task['id']}"
    for response in (
        api.client.post(TASKS, json={"title": "x"}, headers=auth(reader)),
        api.client.patch(path, json={"title": "x"}, headers=auth(reader)),
        api.client.delete(path, headers=auth(reader)),
        api.client.post(f"{path}/assign", json={"assignee": None}, headers=auth(reader)),
        api.client.get(TASKS, headers=auth(writer)),
        api.client.get(path, headers=auth(writer)),
    ):
        body = assert_problem(response, 403)
        assert "scope" in body["detail"]
    assert api.client.get(path, headers=auth(reader)).status_code == 200


def test_every_route_needs_a_key(api: ApiHarness, key: str) -> None:
    task = create_task(api, key)
    path = f"{TASKS}/{task['id']}"
    for response in (
        api.client.get(TASKS),
        api.client.post(TASKS, json={"title": "x"}),
        api.client.get(path),
        api.client.patch(path, json={"title": "x"}),
        api.client.delete(path),
        api.client.post(f"{path}/assign", json={"assignee": None}),
    ):
        assert_problem(response, 401)
    assert len(api.tasks_of()) == 1


def test_the_x_api_key_header_works_too(api: ApiHarness, key: str) -> None:
    assert api.client.get(TASKS, headers={"X-API-Key": key}).status_code == 200


def test_pages_cover_every_task_once(api: ApiHarness, key: str) -> None:
    numbers = {create_task(api, key, title=f"Task {i}")["id"] for i in range(7)}
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        page = api.client.get(TASKS, params=params, headers=auth(key)).json()
        seen.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == seen and set(seen) == numbers and len(seen) == len(numbers)


def test_a_page_survives_a_task_deleted_between_requests(api: ApiHarness, key: str) -> None:
    ids = [create_task(api, key, title=f"Task {i}")["id"] for i in range(4)]
    first = api.client.get(TASKS, params={"limit": 2}, headers=auth(key)).json()
    api.client.delete(f"{TASKS}/{ids[1]}", headers=auth(key))
    second = api.client.get(
        TASKS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth(key)
    ).json()
    assert [item["id"] for item in second["items"]] == ids[2:]


@pytest.mark.parametrize("cursor", ["garbage!", "bjo=", "a" * 12, ""])
def test_a_malformed_cursor_is_422(api: ApiHarness, key: str, cursor: str) -> None:
    assert_problem(api.client.get(TASKS, params={"cursor": cursor}, headers=auth(key)), 422)


def test_a_cursor_past_the_end_gives_an_empty_last_page(api: ApiHarness, key: str) -> None:
    create_task(api, key)
    page = api.client.get(TASKS, params={"cursor": "zzzzzzzzzzz"}, headers=auth(key)).json()
    assert page == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("limit", [0, 101])
def test_the_page_size_is_bounded(api: ApiHarness, key: str, limit: int) -> None:
    assert_problem(api.client.get(TASKS, params={"limit": limit}, headers=auth(key)), 422)


def test_filters_narrow_the_list(api: ApiHarness, key: str) -> None:
    bob = create_task(api, key, title="Ship the release", assignee="U0BOB", priority="urgent")
    late = create_task(api, key, title="Pay the invoice", due="2020-01-02", tags=["money"])
    later = create_task(api, key, title="Plan the offsite", due="2099-05-01")
    done = create_task(api, key, title="Old chore")
    api.client.patch(f"{TASKS}/{done['id']}", json={"status": "done"}, headers=auth(key))

    def ids(**params: Any) -> list[int]:
        response = api.client.get(TASKS, params=params, headers=auth(key))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert ids(assignee="U0BOB") == [bob["id"]]
    assert ids(priority="urgent") == [bob["id"]]
    assert ids(status="done") == [done["id"]]
    assert ids(status=["open", "in_progress"]) == [bob["id"], late["id"], later["id"]]
    assert ids(overdue=True) == [late["id"]]
    assert ids(q="INVOICE") == [late["id"]]
    assert ids(tag="#Money") == [late["id"]]
    assert ids(due_before="2030-01-01T00:00:00Z") == [late["id"]]
    assert ids(due_after="2030-01-01T00:00:00Z") == [later["id"]]
    assert ids(unassigned=True, status="open") == [late["id"], later["id"]]
    assert ids(creator=bob["creator"]) == [bob["id"], late["id"], later["id"], done["id"]]
    assert_problem(api.client.get(TASKS, params={"status": "later"}, headers=auth(key)), 422)


def test_stats_count_open_overdue_and_done_per_week_and_assignee(api: ApiHarness, key: str) -> None:
    create_task(api, key, title="Late", due="2020-01-02", assignee="U0BOB")
    create_task(api, key, title="Open")
    finished = create_task(api, key, title="Finished", assignee="U0BOB")
    api.client.patch(f"{TASKS}/{finished['id']}", json={"status": "done"}, headers=auth(key))
    other = api.key(team=OTHER_TEAM)
    create_task(api, other, title="Not ours")
    response = api.client.get("/api/v1/stats", params={"weeks": 4}, headers=auth(key))
    assert response.status_code == 200
    stats = response.json()
    assert (stats["open"], stats["overdue"], stats["done"]) == (2, 1, 1)
    assert len(stats["weeks"]) == 4
    this_week = stats["weeks"][-1]
    assert this_week["created"] == 3 and this_week["done"] == 1
    by_person = {row["assignee"]: row for row in stats["assignees"]}
    assert by_person["U0BOB"] == {"assignee": "U0BOB", "open": 1, "overdue": 1, "done": 1}
    assert by_person[None]["open"] == 1
    assert_problem(api.client.get("/api/v1/stats", params={"weeks": 0}, headers=auth(key)), 422)
    assert_problem(api.client.get("/api/v1/stats"), 401)
    no_read = api.key(scopes=["agent:run"])
    assert_problem(api.client.get("/api/v1/stats", headers=auth(no_read)), 403)


def test_stats_are_counted_by_the_database_without_loading_tasks(api: ApiHarness, key: str) -> None:
    # The cost of /stats must not grow with the team's whole history: no task row is loaded.
    from tests.conftest import tasks_loaded

    for n in range(30):
        create_task(api, key, title=f"Chore {n}", assignee="U0BOB" if n % 2 else None)
    with tasks_loaded() as loaded:
        stats = api.client.get("/api/v1/stats", headers=auth(key)).json()
    assert loaded == []
    assert stats["open"] == 30
    assert {row["assignee"]: row["open"] for row in stats["assignees"]} == {"U0BOB": 15, None: 15}


def test_the_audit_log_needs_its_scope_and_pages_the_teams_events(api: ApiHarness) -> None:
    writer = api.key(scopes=["tasks:write"])
    auditor = api.key(scopes=["audit:read"])
    other = api.key(team=OTHER_TEAM)
    task = create_task(api, writer, title="Audited")
    api.client.patch(f"{TASKS}/{task['id']}", json={"priority": "low"}, headers=auth(writer))
    api.client.delete(f"{TASKS}/{task['id']}", headers=auth(writer))
    create_task(api, other, title="Elsewhere")
    assert_problem(api.client.get("/api/v1/audit", headers=auth(writer)), 403)
    assert_problem(api.client.get("/api/v1/audit"), 401)

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, "task": task["id"]}
        if cursor:
            params["cursor"] = cursor
        page = api.client.get("/api/v1/audit", params=params, headers=auth(auditor)).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [event["action"] for event in seen] == ["create", "update", "delete"]
    assert {event["team"] for event in seen} == {"T0TEAM"}
    assert seen[1]["changes"] == {"priority": ["normal", "low"]}
    creates = api.client.get(
        "/api/v1/audit", params={"action": "create"}, headers=auth(auditor)
    ).json()["items"]
    assert [event["task"] for event in creates] == [task["id"]]
    assert_problem(
        api.client.get("/api/v1/audit", params={"action": "explode"}, headers=auth(auditor)), 422
    )


@pytest.mark.parametrize(
    "body",
    [
        {"title": "nul \x00 byte"},
        {"title": "ok", "description": "a\x00b"},
        {"title": "ok", "due": "in 99999999 years"},
        {"title": "ok", "tags": ["a\x00"]},
    ],
    ids=["nul-title", "nul-description", "far-due", "nul-tag"],
)
def test_unstorable_input_is_422_not_500(api: ApiHarness, key: str, body: dict[str, Any]) -> None:
    assert_problem(api.client.post(TASKS, json=body, headers=auth(key)), 422)
    assert api.tasks_of() == []


@pytest.mark.parametrize(
    "params",
    [{"due_before": "0001-01-01T00:00:00+14:00"}, {"q": "a\x00"}, {"due_after": "0.5"}],
    ids=["time-out-of-range", "nul-query", "timestamp-not-iso"],
)
def test_unusable_filters_are_422_not_500(
    api: ApiHarness, key: str, params: dict[str, str]
) -> None:
    assert_problem(api.client.get(TASKS, params=params, headers=auth(key)), 422)


def test_hostile_strings_are_stored_and_returned_verbatim(api: ApiHarness, key: str) -> None:
    title = "'; DROP TABLE tasks; -- <script>alert(1)</script> 🎉 ẞ"
    task = create_task(api, key, title=title, description="% _ \\ \u202e")
    assert task["title"] == title
    found = api.client.get(TASKS, params={"q": "DROP TABLE"}, headers=auth(key)).json()
    assert [item["id"] for item in found["items"]] == [task["id"]]
    assert api.client.get(TASKS, params={"q": "%"}, headers=auth(key)).json()["items"]
    assert api.client.get(TASKS, params={"q": "zz%"}, headers=auth(key)).json()["items"] == []


@pytest.mark.parametrize("due", ["when pigs fly", "the 31st of February", "in 9999999 years"])
def test_an_unusable_due_date_is_a_422_on_the_due_field_without_quoting_it(
    api: ApiHarness, key: str, due: str
) -> None:
    response = api.client.post(TASKS, json={"title": "Plan", "due": due}, headers=auth(key))
    problem = assert_problem(response, 422)
    assert [error["field"] for error in problem["errors"]] == ["due"]
    assert due not in response.text
    assert api.tasks_of() == []


def test_a_database_that_drops_out_is_a_503_with_retry_after_not_a_500(
    api: ApiHarness, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    working = api.context.session_factory
    create_task(api, key, title="Written before the outage")

    def unreachable() -> Session:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(api.context, "session_factory", unreachable)
    listed = api.client.get(TASKS, headers=auth(key))
    created = api.client.post(
        TASKS, json={"title": "During"}, headers={**auth(key), "Idempotency-Key": "outage-1"}
    )
    for response in (listed, created):
        problem = assert_problem(response, 503)
        assert problem["type"].endswith("database-unavailable")
        assert response.headers["Retry-After"] == "2"
        assert "server closed" not in response.text

    # It recovers by itself, and the retried POST is done once.
    monkeypatch.setattr(api.context, "session_factory", working)
    retried = api.client.post(
        TASKS, json={"title": "During"}, headers={**auth(key), "Idempotency-Key": "outage-1"}
    )
    assert retried.status_code == 201
    assert [task.title for task in api.tasks_of()] == ["Written before the outage", "During"]
