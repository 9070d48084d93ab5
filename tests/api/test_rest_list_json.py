"""The bytes of `GET /api/v1/tasks`: read from rows (`TaskService.list_task_rows`), a page is
byte for byte what it was when it was built from `Task` objects, for tasks with and without
due dates, tags, assignees and descriptions. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from api.routes_tasks import _PAGE, encode_cursor  # pyright: ignore[reportPrivateUsage]
from tasks.cards import task_record
from tasks.models import Task
from tasks.service import TaskService
from tests.api.support import OTHER_TEAM, TEAM, ApiHarness, auth, create_task

TASKS = "/api/v1/tasks"
CREATED = datetime(2026, 11, 20, 8, 30, 15, 123456, tzinfo=UTC)


def _varied_tasks(api: ApiHarness, key: str) -> None:
    create_task(
        api,
        key,
        title="Send the Q3 deck",
        description="Slides 1-12, with the revenue chart.",
        assignee="U0BOB",
        due="2026-12-04T17:00:00",
        timezone="America/New_York",
        priority="high",
        tags=["#Finance", "q3"],
    )
    create_task(api, key, title="Bare")
    create_task(api, key, title="All day", due="2026-12-03", timezone="Asia/Tokyo", tags=["ops"])
    create_task(api, key, title='Quotes "and" ünïcödé \\ </script>', due="2026-12-01T09:30:00")
    done = create_task(api, key, title="Done", priority="low", tags=["ops", "q3", "x-y"])
    response = api.client.patch(f"{TASKS}/{done['id']}", json={"status": "done"}, headers=auth(key))
    assert response.status_code == 200, response.text


def _pin_times(api: ApiHarness) -> None:
    # Fixed creation and update times, so that the page's bytes can be written down.
    with api.session_factory() as session, session.begin():
        for task in session.exec(select(Task).order_by(col(Task.id))).all():
            task.created_at = CREATED + timedelta(minutes=task.number)
            task.updated_at = CREATED + timedelta(minutes=task.number, seconds=30)


def _page_from_tasks(api: ApiHarness, *, team: str, after: int, limit: int) -> bytes:
    """The page as the route built it from `Task` objects (before it read rows)."""
    with api.session_factory() as session:
        service = TaskService(session, team_id=team, actor_id="test", source="test")
        tasks = service.list_tasks(after_number=after, order="number", limit=limit + 1)
        page = tasks[:limit]
        items = [task_record(task) for task in page]
    next_cursor = encode_cursor(page[-1].number) if len(tasks) > limit else None
    value = _PAGE.validate_python({"items": items, "next_cursor": next_cursor})
    return _PAGE.dump_json(value, by_alias=True)


def test_pages_are_byte_identical_to_pages_built_from_tasks(api: ApiHarness, key: str) -> None:
    other_key = api.key(team=OTHER_TEAM)
    create_task(api, other_key, title="Theirs", tags=["q3"], assignee="U0ERIN")
    _varied_tasks(api, key)
    for limit in (1, 2, 5, 20):
        after = 0
        while True:
            params: dict[str, Any] = {"limit": limit}
            if after:
                params["cursor"] = encode_cursor(after)
            response = api.client.get(TASKS, params=params, headers=auth(key))
            assert response.status_code == 200, response.text
            assert response.content == _page_from_tasks(api, team=TEAM, after=after, limit=limit)
            page = response.json()
            assert "Theirs" not in [item["title"] for item in page["items"]]
            if page["next_cursor"] is None:
                break
            after = page["items"][-1]["id"]


def test_the_page_bytes_as_written_down(api: ApiHarness, key: str) -> None:
    _varied_tasks(api, key)
    _pin_times(api)
    response = api.client.get(TASKS, params={"limit": 4}, headers=auth(key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    expected = (
        '{"items":['
        '{"id":1,"title":"Send the Q3 deck","description":"Slides 1-12, with the revenue '
        'chart.","status":"open","priority":"high","assignee":"U0BOB","creator":"apikey:PREFIX",'
        '"due":"2026-12-04T17:00:00-05:00","tags":["finance","q3"],'
        '"created_at":"2026-11-20T08:31:15.123456Z","updated_at":"2026-11-20T08:31:45.123456Z"},'
        '{"id":2,"title":"Bare","description":null,"status":"open","priority":"normal",'
        '"assignee":null,"creator":"apikey:PREFIX","due":null,"tags":[],'
        '"created_at":"2026-11-20T08:32:15.123456Z","updated_at":"2026-11-20T08:32:45.123456Z"},'
        '{"id":3,"title":"All day","description":null,"status":"open","priority":"normal",'
        '"assignee":null,"creator":"apikey:PREFIX","due":"2026-12-03","tags":["ops"],'
        '"created_at":"2026-11-20T08:33:15.123456Z","updated_at":"2026-11-20T08:33:45.123456Z"},'
        '{"id":4,"title":"Quotes \\"and\\" ünïcödé \\\\ </script>","description":null,'
        '"status":"open","priority":"normal","assignee":null,"creator":"apikey:PREFIX",'
        '"due":"2026-12-01T09:30:00+00:00","tags":[],'
        '"created_at":"2026-11-20T08:34:15.123456Z","updated_at":"2026-11-20T08:34:45.123456Z"}'
        '],"next_cursor":"4"}'
    )
    prefix = response.json()["items"][0]["creator"].removeprefix("apikey:")
    assert response.content == expected.replace("PREFIX", prefix).encode()
    # And the last page: a task that was changed, and no next page.
    last = api.client.get(TASKS, params={"limit": 4, "cursor": "4"}, headers=auth(key))
    assert last.json() == {
        "items": [
            {
                "id": 5,
                "title": "Done",
                "description": None,
                "status": "done",
                "priority": "low",
                "assignee": None,
                "creator": f"apikey:{prefix}",
                "due": None,
                "tags": ["ops", "q3", "x-y"],
                "created_at": "2026-11-20T08:35:15.123456Z",
                "updated_at": "2026-11-20T08:35:45.123456Z",
            }
        ],
        "next_cursor": None,
    }
