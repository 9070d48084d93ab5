"""A running server with the Slack app on a fresh SQLite database, and the local Web API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pydantic_ai.models
import pytest

from core.db import make_engine
from slack_app.local_web_api import LocalSlackWebAPI
from tests.slack_app.support import (
    SlackHarness,
    harness_settings,
    running_server,
    seed_directory,
)

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False


@pytest.fixture
def web() -> Iterator[LocalSlackWebAPI]:
    """The local Web API server (records calls, answers as Slack does; not Slack)."""
    with LocalSlackWebAPI() as server:
        yield server


@pytest.fixture
def slack(web: LocalSlackWebAPI, tmp_path: Path, _sqlite_template: Path) -> Iterator[SlackHarness]:
    """The server app on a migrated SQLite file, Web API pointed at `web`."""
    path = tmp_path / "taskpilot.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        with running_server(harness_settings(web, url), engine, web=web) as harness:
            seed_directory(harness)
            yield harness
    finally:
        engine.dispose()
