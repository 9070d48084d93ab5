"""Logs follow LOG_LEVEL and LOG_FORMAT."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from core.context import bound
from core.logs import configure_logging
from core.settings import Settings


@pytest.fixture(autouse=True)
def _restore_root_logger() -> object:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield None
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_extra_fields(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings.model_validate({"LOG_FORMAT": "json", "LOG_LEVEL": "info"}))
    logging.getLogger("taskpilot.test").warning("turn failed", extra={"conversation": "c1"})
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "turn failed"
    assert line["level"] == "warning"
    assert line["conversation"] == "c1"


def test_level_filters_console_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings.model_validate({"LOG_FORMAT": "console", "LOG_LEVEL": "warning"}))
    logging.getLogger("taskpilot.test").info("quiet")
    logging.getLogger("taskpilot.test").error("loud")
    err = capsys.readouterr().err
    assert "loud" in err
    assert "quiet" not in err


def _last_json(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return json.loads(capsys.readouterr().err.strip().splitlines()[-1])


def test_json_lines_carry_the_ids_of_the_work_they_belong_to(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings.model_validate({"LOG_FORMAT": "json"}))
    with bound(request_id="req-1", team_id="T1", user_id="U1", slack_event_id="Ev1"):
        logging.getLogger("taskpilot.test").info("inside")
    line = _last_json(capsys)
    assert {k: line[k] for k in ("request_id", "team_id", "user_id", "slack_event_id")} == {
        "request_id": "req-1",
        "team_id": "T1",
        "user_id": "U1",
        "slack_event_id": "Ev1",
    }
    logging.getLogger("taskpilot.test").info("outside")
    assert "request_id" not in _last_json(capsys)


def test_json_lines_inside_a_span_carry_its_trace_and_span_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings.model_validate({"LOG_FORMAT": "json"}))
    provider = TracerProvider()
    with provider.get_tracer("test").start_as_current_span("work") as span:
        logging.getLogger("taskpilot.test").info("traced")
        context = span.get_span_context()
    line = _last_json(capsys)
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_ids_follow_work_into_threads_and_stay_apart_between_tasks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings.model_validate({"LOG_FORMAT": "json"}))
    log = logging.getLogger("taskpilot.test")

    async def one(request_id: str) -> None:
        with bound(request_id=request_id):
            await asyncio.sleep(0)
            await asyncio.to_thread(log.info, "from %s", request_id)

    async def both() -> None:
        await asyncio.gather(one("req-a"), one("req-b"))

    asyncio.run(both())
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    assert sorted((line["message"], line["request_id"]) for line in lines) == [
        ("from req-a", "req-a"),
        ("from req-b", "req-b"),
    ]


def test_message_text_is_hidden_by_default_and_shown_when_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = logging.getLogger("taskpilot.test")
    configure_logging(Settings.model_validate({"LOG_FORMAT": "json"}))
    log.warning("reply failed", extra={"body": "fire alice", "text": "secret plans"})
    hidden = _last_json(capsys)
    assert hidden["body"] == hidden["text"] == "[message text hidden]"

    configure_logging(
        Settings.model_validate({"LOG_FORMAT": "json", "TASKPILOT_LOG_MESSAGE_TEXT": True})
    )
    log.warning("reply failed", extra={"body": "fire alice"})
    assert _last_json(capsys)["body"] == "fire alice"


def test_console_lines_end_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings.model_validate({"LOG_FORMAT": "console"}))
    with bound(request_id="req-9"):
        logging.getLogger("taskpilot.test").warning("slow reply")
    assert capsys.readouterr().err.strip() == "WARNING taskpilot.test: slow reply  [req=req-9]"


def test_levels_can_be_set_per_logger(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings.model_validate({"LOG_LEVEL": "warning,taskpilot.chatty=debug"}))
    logging.getLogger("taskpilot.chatty").debug("details")
    logging.getLogger("taskpilot.other").info("noise")
    err = capsys.readouterr().err
    assert "details" in err and "noise" not in err


@pytest.mark.parametrize("value", ["loud", "INFO,slack_app", "slack_app=DEBUG", "INFO,x=LOUD"])
def test_a_bad_log_level_is_a_clear_settings_error(value: str) -> None:
    with pytest.raises(ValueError, match=r"LOG_LEVEL: .* is not a level"):
        Settings.model_validate({"LOG_LEVEL": value})
