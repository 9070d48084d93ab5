"""A small team on a fresh in-memory database for every tool test."""

from __future__ import annotations

from collections.abc import Iterator

import pydantic_ai.models
import pytest

from tests.agent.support import SessionFactory, team_database

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


@pytest.fixture
def sessions() -> Iterator[SessionFactory]:
    yield from team_database()
