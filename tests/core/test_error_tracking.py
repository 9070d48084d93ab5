"""Error tracking: `before_send` scrubs secrets, people's words and personal data and groups
agent failures by tool; a tool that raises inside a turn reaches a local Sentry receiver as one
scrubbed event while the person gets a sentence."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
import sentry_sdk
from sqlmodel import select

from agent.assembly import build_runtime
from agent.turn_log import TurnRecord
from core import context
from core.error_tracking import (
    REMOVED,
    ErrorEventHandler,
    before_breadcrumb,
    before_send,
    init_error_tracking,
    shutdown_error_tracking,
)
from core.logs import configure_logging
from core.observability import configure_observability
from core.redaction import REDACTED
from core.settings import Settings
from tasks.service import TaskService
from tests.agent.support import TEAM, Script, SessionFactory, call, say, team_database, turn
from tests.core.sentry_receiver import SentryReceiver

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

SLACK_TOKEN = "xoxb-2048-4096-a1b2c3d4e5f6"
FRIENDLY = "Sorry, I couldn't finish that."
# A person's words in the end-to-end turns. They live up here, away from the lines the events'
# stack frames quote as source context, so that finding them in an event means a real leak.
MESSAGE = "remind me to send the pelican deck to marguerite"
TITLE = "send the pelican deck to marguerite"


@pytest.fixture(autouse=True)
def _sentry_off_afterwards() -> Iterator[None]:  # pyright: ignore[reportUnusedFunction]
    """Every test leaves Sentry off and the root logger as it found it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    shutdown_error_tracking()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def receiver() -> Iterator[SentryReceiver]:
    server = SentryReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def sessions() -> Iterator[SessionFactory]:
    yield from team_database()


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def _exception_event(
    *frames: tuple[str, str], value: str = "boom", exc_type: str = "RuntimeError"
) -> dict[str, Any]:
    """A Sentry error event raised through `frames` (module, function), outermost first."""
    return {
        "level": "error",
        "logger": "agent.runtime",
        "exception": {
            "values": [
                {
                    "type": exc_type,
                    "value": value,
                    "stacktrace": {
                        "frames": [
                            {"module": module, "function": function, "vars": {"text": value}}
                            for module, function in frames
                        ]
                    },
                }
            ]
        },
    }


def _send(event: dict[str, Any], *, log_message_text: bool = False) -> dict[str, Any]:
    sent = before_send(event, {}, log_message_text=log_message_text)  # pyright: ignore[reportArgumentType]
    assert sent is not None
    return dict(sent)


TOOL_FRAMES = (
    ("agent.runtime", "_drive"),
    ("pydantic_ai._tool_manager", "handle_call"),
    ("tools.task_tools", "create_task"),
    ("tools.task_tools", "_service"),
    ("tasks.service", "create_task"),
)


# Without a DSN.


def test_without_a_dsn_nothing_is_initialised() -> None:
    settings = _settings()
    assert init_error_tracking(settings) is False
    configure_observability(settings)
    assert not sentry_sdk.get_client().is_active()
    assert not any(isinstance(h, ErrorEventHandler) for h in logging.getLogger().handlers)


# Secrets.


def test_secrets_from_the_settings_are_redacted_everywhere(receiver: SentryReceiver) -> None:
    secret = f"sig-{uuid.uuid4().hex}"
    assert init_error_tracking(_settings(SENTRY_DSN=receiver.dsn, SLACK_SIGNING_SECRET=secret))
    event = _exception_event(("agent.runtime", "_drive"), value=f"signature {secret} mismatch")
    event["logentry"] = {"message": "failed: %s", "params": [secret], "formatted": f"x {secret}"}
    event["extra"] = {"detail": {"nested": [f"with {secret}"]}}
    event["breadcrumbs"] = {"values": [{"message": f"saw {secret}", "data": {"v": secret}}]}

    sent = _send(event)

    assert secret not in repr(sent)
    assert REDACTED in sent["exception"]["values"][0]["value"]
    assert sent["logentry"]["params"] == [REDACTED]


def test_token_shaped_strings_are_redacted() -> None:
    event = _exception_event(("agent.providers", "call"), value=f"bad token {SLACK_TOKEN}")
    event["message"] = "provider said: invalid key sk-proj-abcdefghijklmnop"
    event["extra"] = {"auth": "Bearer abc.def-123456", "url": "postgresql://app:hunter22@db/x"}
    event["breadcrumbs"] = {"values": [{"message": "Authorization: Bearer 9f8e7d6c5b4a"}]}

    sent = _send(event)

    text = repr(sent)
    for leaked in (SLACK_TOKEN, "sk-proj-abcdefghijklmnop", "abc.def-123456", "hunter22"):
        assert leaked not in text
    assert "9f8e7d6c5b4a" not in text


def test_credential_headers_and_cookies_and_query_parameters_are_removed() -> None:
    event: dict[str, Any] = {
        "message": "failed request",
        "request": {
            "url": "https://taskpilot.example/slack/oauth_redirect",
            "method": "GET",
            "query_string": "code=4242.abcdef&state=s3cr3t-state&page=2",
            "headers": {
                "Authorization": "Bearer tp_ab12_supersecretvalue",
                "Cookie": "session=abc123def",
                "X-Slack-Signature": "v0=deadbeefdeadbeef",
                "User-Agent": "Slackbot 1.0",
            },
            "cookies": {"session": "abc123def"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
    }

    request = _send(event)["request"]

    assert request["headers"]["Authorization"] == REDACTED
    assert request["headers"]["Cookie"] == REDACTED
    assert request["headers"]["X-Slack-Signature"] == REDACTED
    assert request["headers"]["User-Agent"] == "Slackbot 1.0"
    assert "cookies" not in request and "env" not in request
    assert request["query_string"] == f"code={REDACTED}&state={REDACTED}&page=2"


# People's words.


def _with_words() -> dict[str, Any]:
    event = _exception_event(
        ("agent.runtime", "_drive"),
        value="1 validation error\n  Input should be a valid integer "
        "[type=int_type, input_value='ask marguerite about the pelican', input_type=str]",
    )
    event["request"] = {
        "url": "https://taskpilot.example/slack/events",
        "method": "POST",
        "data": {"event": {"text": f"remind marguerite about the pelican {SLACK_TOKEN}"}},
    }
    event["extra"] = {
        "conversation": "c1",
        "text": "remind marguerite about the pelican",
        "sys.argv": ["taskpilot", "chat", "--once", "remind marguerite about the pelican"],
    }
    event["contexts"] = {"turn": {"title": "pelican report"}, "trace": {"description": "POST"}}
    event["breadcrumbs"] = {
        "values": [{"category": "agent", "message": "turn", "data": {"text": "the pelican"}}]
    }
    return event


def test_message_text_is_removed_by_default() -> None:
    sent = _send(_with_words())

    assert "pelican" not in repr(sent) and "marguerite" not in repr(sent)
    assert sent["request"]["data"] == REMOVED
    assert sent["extra"]["text"] == REMOVED
    assert sent["extra"]["conversation"] == "c1"
    assert sent["extra"]["sys.argv"] == REMOVED
    assert sent["contexts"]["trace"]["description"] == "POST"
    assert "input_value=[removed], input_type=str" in sent["exception"]["values"][0]["value"]


def test_message_text_is_kept_when_message_logging_is_on_but_secrets_never_are() -> None:
    sent = _send(_with_words(), log_message_text=True)

    assert sent["request"]["data"]["event"]["text"].startswith("remind marguerite")
    assert sent["extra"]["text"] == "remind marguerite about the pelican"
    assert "pelican" in sent["exception"]["values"][0]["value"]
    assert SLACK_TOKEN not in repr(sent)


def test_local_variables_never_leave() -> None:
    sent = _send(_exception_event(*TOOL_FRAMES, value="x"))

    frames = sent["exception"]["values"][0]["stacktrace"]["frames"]
    assert all("vars" not in frame for frame in frames)


def test_the_user_is_reduced_to_an_id_and_the_work_ids_become_tags() -> None:
    event = _exception_event(("api.routes_tasks", "create"))
    event["user"] = {"id": "U0ALICE", "email": "alice@example.com", "ip_address": "203.0.113.9"}

    with context.bound(request_id="req-7", team_id="T0TEAM", slack_event_id="Ev0001"):
        sent = _send(event)

    assert sent["user"] == {"id": "U0ALICE"}
    assert sent["tags"]["request_id"] == "req-7"
    assert sent["tags"]["team_id"] == "T0TEAM"
    assert sent["tags"]["slack_event_id"] == "Ev0001"


def test_breadcrumbs_are_scrubbed_the_same_way() -> None:
    crumb = {
        "category": "slack_app.listeners",
        "message": f"posting with {SLACK_TOKEN}",
        "data": {"text": "remind marguerite", "channel": "C0001"},
    }

    kept = before_breadcrumb(crumb, {})  # pyright: ignore[reportArgumentType]

    assert kept is not None
    assert SLACK_TOKEN not in kept["message"]
    assert kept["data"] == {"text": REMOVED, "channel": "C0001"}


# Grouping.


def test_one_tool_failing_on_different_messages_groups_as_one_issue() -> None:
    first = _send(_exception_event(*TOOL_FRAMES, value="cannot save 'send the deck'"))
    second = _send(_exception_event(*TOOL_FRAMES, value="cannot save 'call the bank'"))

    assert first["fingerprint"] == second["fingerprint"]
    assert first["fingerprint"] == ["agent-failure", "RuntimeError", "tool:create_task"]
    assert first["tags"]["tool"] == "create_task"


def test_different_tools_or_exception_types_are_different_issues() -> None:
    create = _send(_exception_event(*TOOL_FRAMES))
    listing = _send(
        _exception_event(("tools.task_tools", "list_tasks"), ("tasks.service", "list_tasks"))
    )
    other_type = _send(_exception_event(*TOOL_FRAMES, exc_type="KeyError"))

    assert create["fingerprint"] != listing["fingerprint"]
    assert create["fingerprint"] != other_type["fingerprint"]


def test_agent_failures_outside_tools_group_by_code_location() -> None:
    sent = _send(
        _exception_event(
            ("agent.runtime", "_drive"), ("httpx._client", "send"), exc_type="ConnectError"
        )
    )

    assert sent["fingerprint"] == ["agent-failure", "ConnectError", "agent.runtime._drive"]


def test_other_failures_keep_sentrys_default_grouping() -> None:
    event = _exception_event(("api.routes_tasks", "create"), ("tasks.service", "create_task"))
    event["logger"] = "taskpilot.server"

    assert "fingerprint" not in _send(event)


# End to end, through real envelopes.


def _failing_turn_settings(receiver: SentryReceiver, **values: object) -> Settings:
    return _settings(
        SENTRY_DSN=receiver.dsn,
        TASKPILOT_ENVIRONMENT="staging",
        TASKPILOT_RELEASE="taskpilot@9.9.9",
        **values,
    )


def test_a_tool_that_raises_reaches_sentry_once_scrubbed_and_the_person_gets_a_sentence(
    receiver: SentryReceiver, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sig-{uuid.uuid4().hex}"
    settings = _failing_turn_settings(receiver, SLACK_SIGNING_SECRET=secret)
    configure_logging(settings)
    assert init_error_tracking(settings)

    def broken_create(self: TaskService, **fields: Any) -> None:
        del self, fields
        raise RuntimeError(f"storage refused the write (signed {secret}, via {SLACK_TOKEN})")

    monkeypatch.setattr(TaskService, "create_task", broken_create)
    script = Script(call("create_task", title=TITLE), say("ok"))
    runtime = build_runtime(settings=settings, model=script.model())

    with context.bound(request_id="req-e2e-1", team_id=TEAM, user_id="U0001"):
        result = turn(sessions, runtime, MESSAGE)
    sentry_sdk.flush(timeout=10)

    assert result.reply.startswith(FRIENDLY)
    assert "Traceback" not in result.reply and "RuntimeError" not in result.reply
    with sessions() as session:
        (record,) = session.exec(select(TurnRecord)).all()
    assert record.outcome == "failed"

    (event,) = receiver.events
    assert receiver.paths == ["/api/1/envelope/"]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["environment"] == "staging"
    assert event["release"] == "taskpilot@9.9.9"
    assert event["tags"]["request_id"] == "req-e2e-1"
    assert event["tags"]["team_id"] == TEAM
    assert event["tags"]["user_id"] == "U0001"
    assert event["fingerprint"] == ["agent-failure", "RuntimeError", "tool:create_task"]
    raw = receiver.raw
    assert secret.encode() not in raw and SLACK_TOKEN.encode() not in raw
    assert b"pelican" not in raw and b"marguerite" not in raw


def test_failures_of_one_tool_group_together_across_turns_and_tools_apart(
    receiver: SentryReceiver, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _failing_turn_settings(receiver)
    configure_logging(settings)
    assert init_error_tracking(settings)

    def broken(self: TaskService, **fields: Any) -> None:
        del self
        raise RuntimeError(f"cannot store {fields.get('title') or fields.get('query')!r}")

    monkeypatch.setattr(TaskService, "create_task", broken)
    monkeypatch.setattr(TaskService, "list_tasks", broken)
    script = Script(
        call("create_task", title="call the bank"),
        call("create_task", title="book the venue"),
        call("list_tasks", query="venue"),
    )
    runtime = build_runtime(settings=settings, model=script.model())

    for text in ("remind me to call the bank", "book the venue", "what about the venue?"):
        turn(sessions, runtime, text)
    sentry_sdk.flush(timeout=10)

    first, second, listing = (event["fingerprint"] for event in receiver.events)
    assert first == second == ["agent-failure", "RuntimeError", "tool:create_task"]
    assert listing == ["agent-failure", "RuntimeError", "tool:list_tasks"]


def test_configure_observability_sends_logged_exceptions_with_their_traceback(
    receiver: SentryReceiver,
) -> None:
    configure_observability(_settings(SENTRY_DSN=receiver.dsn, LOG_LEVEL="INFO"))
    logger = logging.getLogger("tasks.reminders")

    logger.info("reminder sweep started")
    try:
        {}["missing"]
    except KeyError:
        logger.exception("reminder sweep failed")
    sentry_sdk.flush(timeout=10)

    (event,) = receiver.events
    assert event["logger"] == "tasks.reminders"
    assert event["exception"]["values"][-1]["type"] == "KeyError"
    assert event["logentry"]["message"] == "reminder sweep failed"
    crumbs = [crumb["message"] for crumb in event["breadcrumbs"]["values"]]
    assert "reminder sweep started" in crumbs


def test_a_dsn_mounted_as_a_secret_file_turns_error_tracking_on(
    receiver: SentryReceiver, tmp_path: Path
) -> None:
    """In Kubernetes the DSN arrives with the other secrets, as a file of the secrets
    directory (the ExternalSecret copies it there), not as an environment variable."""
    (tmp_path / "SENTRY_DSN").write_text(receiver.dsn + "\n")
    settings = _settings(TASKPILOT_SECRETS_BACKEND="file", TASKPILOT_SECRETS_DIR=str(tmp_path))
    configure_observability(settings)
    assert sentry_sdk.get_client().is_active()
    logging.getLogger("tasks.reminders").error("reminder sweep failed")
    sentry_sdk.flush(timeout=10)
    assert [event["logentry"]["message"] for event in receiver.events] == ["reminder sweep failed"]
