"""A tool that raises during `POST /api/v1/agent/turns`: the caller gets the friendly reply,
and the local Sentry receiver gets one event without the API key or the person's words."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pydantic_ai.models
import pytest
import sentry_sdk
from sqlalchemy import Engine

from core.error_tracking import init_error_tracking, shutdown_error_tracking
from core.logs import configure_logging
from tasks.service import TaskService
from tests.api.support import ApiHarness, api_settings, auth, open_harness
from tests.conftest import SeededTeam
from tests.core.sentry_receiver import SentryReceiver

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

# A person's words, kept away from the source lines an event's frames quote.
MESSAGE = "add a task to feed the axolotl before the audit"


@pytest.fixture
def backend() -> str:
    """SQLite only: the database plays no part in what reaches Sentry."""
    return "sqlite"


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    server = SentryReceiver().start()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield server
    shutdown_error_tracking()
    root.handlers[:] = handlers
    root.setLevel(level)
    server.stop()


@pytest.fixture
def api(engine: Engine, seeded_team: SeededTeam, receiver: SentryReceiver) -> Iterator[ApiHarness]:
    del seeded_team
    with open_harness(engine, SENTRY_DSN=receiver.dsn, TASKPILOT_ENVIRONMENT="test") as harness:
        yield harness


def test_a_failing_tool_over_http_is_one_scrubbed_event_and_a_friendly_reply(
    api: ApiHarness, receiver: SentryReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = api_settings(SENTRY_DSN=receiver.dsn, TASKPILOT_ENVIRONMENT="test")
    configure_logging(settings)
    assert init_error_tracking(settings)

    def broken_create(self: TaskService, **fields: Any) -> None:
        del self, fields
        raise ConnectionError("the database went away")

    monkeypatch.setattr(TaskService, "create_task", broken_create)
    key = api.key(scopes=["agent:run", "agent:act_as", "tasks:read", "tasks:write"])

    response = api.client.post(
        "/api/v1/agent/turns",
        json={"user": "U0ALICE", "text": MESSAGE},
        headers={**auth(key), "X-Request-ID": "req-http-42"},
    )
    sentry_sdk.flush(timeout=10)

    assert response.status_code == 200, response.text
    assert response.json()["reply"].startswith("Sorry, I couldn't finish that.")
    (event,) = receiver.events
    assert event["exception"]["values"][-1]["type"] == "ConnectionError"
    assert event["fingerprint"] == ["agent-failure", "ConnectionError", "tool:create_task"]
    assert event["environment"] == "test"
    assert event["tags"]["request_id"] == "req-http-42"
    assert event["request"]["headers"]["authorization"] == "[redacted]"
    assert event["request"]["data"] == "[removed]"
    secret = key.split("_", 2)[2]
    assert secret.encode() not in receiver.raw
    assert b"axolotl" not in receiver.raw
