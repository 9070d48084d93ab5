"""Whom a REST request counts against, through the real app: the API key itself once it is
authenticated, however it is presented; the caller's address before that, and for failed
authentications."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api.support import OTHER_TEAM, ApiHarness, open_harness
from tests.conftest import SeededTeam

TASKS = "/api/v1/tasks"


@pytest.fixture
def tight(engine: Engine, seeded_team: SeededTeam) -> Iterator[ApiHarness]:
    with open_harness(engine, TASKPILOT_RATE_LIMIT_KEY="3/minute") as harness:
        yield harness


def test_changing_how_a_key_is_presented_does_not_reset_its_budget(tight: ApiHarness) -> None:
    key = tight.key()
    presentations = [
        {"Authorization": f"Bearer {key}"},
        {"Authorization": f"bearer {key}"},
        {"X-API-Key": key},
        {"Authorization": f"Bearer {key}", "X-Extra": "1"},
        {"Authorization": f"BEARER {key}"},
    ]
    statuses = [tight.client.get(TASKS, headers=headers).status_code for headers in presentations]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]


def test_random_invalid_keys_from_one_address_are_limited(tight: ApiHarness) -> None:
    statuses = [
        tight.client.get(TASKS, headers={"Authorization": f"Bearer tp_bad{n}_x"}).status_code
        for n in range(5)
    ]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]


def test_keys_of_two_teams_calling_from_one_address_have_their_own_budgets(
    tight: ApiHarness,
) -> None:
    mine, theirs = tight.key(), tight.key(team=OTHER_TEAM)
    for _ in range(3):
        assert tight.client.get(TASKS, headers={"X-API-Key": mine}).status_code == 200
    assert tight.client.get(TASKS, headers={"X-API-Key": mine}).status_code == 429
    assert tight.client.get(TASKS, headers={"X-API-Key": theirs}).status_code == 200
