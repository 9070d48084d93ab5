"""`X-Request-ID` as a caller sends it: kept when it is a plain id, replaced when it is not, and
never taken for a Slack delivery (whose creates are idempotent)."""

from __future__ import annotations

import pytest

from tests.api.support import ApiHarness, auth

TASKS = "/api/v1/tasks"


@pytest.mark.parametrize("request_id", ["T0AAA:EvABC123", "T0TEST:Ev0AB12CD34", "-:Ev1"])
def test_a_request_id_shaped_like_a_slack_delivery_does_not_make_creates_replays(
    api: ApiHarness, key: str, request_id: str
) -> None:
    headers = {**auth(key), "X-Request-ID": request_id}
    first = api.client.post(TASKS, json={"title": "Order toner"}, headers=headers)
    second = api.client.post(TASKS, json={"title": "Order paper"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert sorted(task.title for task in api.tasks_of()) == ["Order paper", "Order toner"]
    assert second.headers["x-request-id"] != request_id


def test_a_plain_request_id_is_kept(api: ApiHarness, key: str) -> None:
    response = api.client.get(TASKS, headers={**auth(key), "X-Request-ID": "trace-42.a_b"})
    assert response.headers["x-request-id"] == "trace-42.a_b"
