"""Logs follow LOG_LEVEL and LOG_FORMAT."""

from __future__ import annotations

import json
import logging

import pytest

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
