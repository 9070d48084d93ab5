"""A running server with the Slack app on a fresh SQLite database, and the local Web API."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest

from core.db import make_engine
from devtools.local_web_api import LocalSlackWebAPI
from tests.slack_app.support import (
    SlackHarness,
    harness_settings,
    running_server,
    seed_directory,
)

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

SlackFactory = Callable[..., AbstractContextManager[SlackHarness]]


@pytest.fixture
def web() -> Iterator[LocalSlackWebAPI]:
    """The local Web API server (records calls, answers as Slack does; not Slack)."""
    with LocalSlackWebAPI() as server:
        yield server


@pytest.fixture
def make_slack(web: LocalSlackWebAPI, tmp_path: Path, _sqlite_template: Path) -> SlackFactory:
    """Start the server app with settings overridden by keyword (`SLACK_ALLOW_BOT_MESSAGES=True`)
    on a migrated SQLite file, Web API pointed at `web`, directory seeded from `web.users`."""

    @contextmanager
    def start(**overrides: Any) -> Iterator[SlackHarness]:
        path = tmp_path / "taskpilot.db"
        shutil.copyfile(_sqlite_template, path)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        try:
            with running_server(
                harness_settings(web, url, **overrides), engine, web=web
            ) as harness:
                seed_directory(harness)
                yield harness
        finally:
            engine.dispose()

    return start


@pytest.fixture
def slack(make_slack: SlackFactory) -> Iterator[SlackHarness]:
    """The server app on its test settings."""
    with make_slack() as harness:
        yield harness
