"""Paging `GET /api/v1/tasks` with filters: every matching task exactly once, in ascending id
order, while other requests add, change and delete tasks between pages. Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from api.schemas import to_base62
from tests.api.support import OTHER_TEAM, ApiHarness, auth, create_task

TASKS = "/api/v1/tasks"


def _create(api: ApiHarness, key: str, **body: Any) -> int:
    return int(create_task(api, key, **body)["id"])


def _page(api: ApiHarness, key: str, **params: Any) -> dict[str, Any]:
    response = api.client.get(TASKS, params=params, headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


def _ids(page: dict[str, Any]) -> list[int]:
    return [item["id"] for item in page["items"]]


def test_walking_tagged_pages_while_tasks_come_and_go(api: ApiHarness, key: str) -> None:
    other_key = api.key(team=OTHER_TEAM)
    for _ in range(3):
        _create(api, other_key, tags=["ops"])
    ops = [_create(api, key, title=f"Ops {i}", tags=["#Ops" if i % 2 else "ops"]) for i in range(6)]
    plain = [_create(api, key, title=f"Plain {i}", tags=["opsx"]) for i in range(3)]

    first = _page(api, key, tag="#OPS", limit=2)
    assert _ids(first) == ops[:2]
    assert first["next_cursor"] == to_base62(ops[1])

    # Between pages: one seen task and one unseen task are deleted, an unseen one loses its tag,
    # an untagged one gains it, and new tasks are created with and without it.
    api.client.delete(f"{TASKS}/{ops[0]}", headers=auth(key))
    api.client.delete(f"{TASKS}/{ops[3]}", headers=auth(key))
    api.client.patch(f"{TASKS}/{ops[4]}", json={"tags": ["later"]}, headers=auth(key))
    api.client.patch(f"{TASKS}/{plain[1]}", json={"tags": ["OPS"]}, headers=auth(key))
    added = _create(api, key, title="New ops", tags=["ops"])
    _create(api, key, title="New plain")

    seen = _ids(first)
    cursor = first["next_cursor"]
    pages = 1
    while cursor is not None:
        page = _page(api, key, tag="#OPS", limit=2, cursor=cursor)
        assert 0 < len(page["items"]) <= 2
        assert all("ops" in item["tags"] for item in page["items"])
        seen.extend(_ids(page))
        cursor = page["next_cursor"]
        pages += 1
        if cursor is not None:
            assert cursor == to_base62(seen[-1])
        assert pages < 10

    assert seen == [ops[0], ops[1], ops[2], ops[5], plain[1], added]
    assert pages == 3
    # Without paging, the same filter lists exactly the tasks that have the tag now.
    assert _ids(_page(api, key, tag="ops", limit=100)) == [ops[1], ops[2], ops[5], plain[1], added]


def test_a_last_page_that_is_exactly_full_says_there_is_no_next(api: ApiHarness, key: str) -> None:
    tagged = [_create(api, key, title=f"T {i}", tags=["q3"]) for i in range(4)]
    _create(api, key, title="After the last tagged one")
    first = _page(api, key, tag="q3", limit=2)
    second = _page(api, key, tag="q3", limit=2, cursor=first["next_cursor"])
    assert (_ids(first), _ids(second)) == (tagged[:2], tagged[2:])
    assert second["next_cursor"] is None
    assert _page(api, key, tag="q3", limit=4) == {
        "items": _page(api, key, tag="q3", limit=100)["items"],
        "next_cursor": None,
    }
    assert _page(api, key, tag="q3", limit=3)["next_cursor"] == to_base62(tagged[2])


def test_pages_with_several_filters_join_up_to_the_whole_list(api: ApiHarness, key: str) -> None:
    for i in range(12):
        _create(
            api,
            key,
            title=f"Invoice {i}" if i % 3 else f"Call {i}",
            tags=["money"] if i % 2 else [],
            due="2020-01-02" if i % 4 else "2099-05-01",
            priority="high" if i % 5 else "low",
        )
    filters: list[dict[str, Any]] = [
        {},
        {"tag": "money"},
        {"tag": "money", "q": "invoice"},
        {"tag": "money", "overdue": True, "priority": "high"},
        {"due_before": "2030-01-01T00:00:00Z", "status": ["open"]},
        {"tag": "nothing"},
    ]
    for params in filters:
        whole = _ids(_page(api, key, limit=100, **params))
        for limit in (1, 2, 5):
            walked: list[int] = []
            cursor: str | None = None
            while True:
                page = _page(
                    api, key, limit=limit, **params, **({"cursor": cursor} if cursor else {})
                )
                walked.extend(_ids(page))
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert walked == whole, (params, limit)
        assert whole == sorted(whole)
    assert len(_ids(_page(api, key, tag="money", q="invoice", limit=100))) == 4


def test_a_tag_filter_is_read_the_way_tags_are_stored(api: ApiHarness, key: str) -> None:
    _create(api, key, tags=["ops"])
    for spelled in ("ops", "#ops", "# ops", " #OPS ", "Ops"):
        assert len(_page(api, key, tag=spelled)["items"]) == 1, spelled
    assert _page(api, key, tag="#") == {"items": [], "next_cursor": None}
    assert _page(api, key, tag="opsx") == {"items": [], "next_cursor": None}
