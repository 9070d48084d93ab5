"""The REST tests' usual harness: the API on the test database (SQLite and PostgreSQL) with
the seeded team, and a key with the default scopes. A test file that needs other scopes
defines its own `key`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api.support import ApiHarness, open_harness
from tests.conftest import SeededTeam


@pytest.fixture
def api(engine: Engine, seeded_team: SeededTeam) -> Iterator[ApiHarness]:
    with open_harness(engine) as harness:
        yield harness


@pytest.fixture
def key(api: ApiHarness) -> str:
    return api.key()
