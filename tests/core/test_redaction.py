"""No secret reaches a log line: not in the message, its arguments, extra fields or tracebacks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.logs import configure_logging
from core.redaction import REDACTED, redact
from core.secrets import FileSecrets
from core.settings import Settings

log = logging.getLogger("taskpilot.test.redaction")


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _configure(caplog: pytest.LogCaptureFixture, **values: object) -> None:
    """The real set-up (`configure_logging`), with caplog listening after its handler."""
    configure_logging(Settings.model_validate({"LOG_LEVEL": "INFO", **values}))
    logging.getLogger().addHandler(caplog.handler)


def _json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]


def test_tokens_in_message_args_and_extras_are_redacted(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(caplog, LOG_FORMAT="json")
    log.warning(
        "calling Slack with xoxb-1111-2222-abcdefABCDEF for %s using %s",
        "alice",
        "xapp-1-A0TEST-3333-deadbeefcafe",
        extra={
            "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
            "provider": {"key": "sk-proj-abcdefghijklmnop", "model": "gpt-4.1-mini"},
            "api_keys": ["tp_ab12cd34_s3cr3tpartXYZ0123", "tp_ab12cd34"],
        },
    )
    [line] = _json_lines(capsys)
    text = json.dumps(line)
    for secret in (
        "xoxb-1111-2222-abcdefABCDEF",
        "xapp-1-A0TEST-3333-deadbeefcafe",
        "eyJhbGciOiJIUzI1NiJ9",
        "sk-proj-abcdefghijklmnop",
        "s3cr3tpartXYZ0123",
    ):
        assert secret not in text
    assert line["message"] == f"calling Slack with {REDACTED} for alice using {REDACTED}"
    assert line["authorization"] == f"Bearer {REDACTED}"
    assert line["provider"] == {"key": REDACTED, "model": "gpt-4.1-mini"}
    # The key's visible prefix is not a secret and stays readable, to tell which key it was.
    assert line["api_keys"] == [f"tp_ab12cd34_{REDACTED}", "tp_ab12cd34"]
    # Handlers after the redacting one (here caplog's) get the cleaned record too.
    record = caplog.records[-1]
    assert "xapp-1-A0TEST" not in record.getMessage()
    assert record.args is None
    assert record.__dict__["authorization"] == f"Bearer {REDACTED}"


def test_known_secret_values_from_settings_are_redacted(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(
        caplog,
        LOG_FORMAT="console",
        SLACK_SIGNING_SECRET="plain-signing-value-9f3e,older-signing-value-77aa",
        SLACK_CLIENT_SECRET="oauth-client-secret-5b6c",
        DATABASE_URL="postgresql+psycopg://taskpilot:db-password-3e4f@db:5432/taskpilot",
    )
    log.info("secret is %s", "plain-signing-value-9f3e")
    log.info("old one was older-signing-value-77aa, client oauth-client-secret-5b6c")
    log.info("connecting to %s", "postgresql+psycopg://taskpilot:db-password-3e4f@db:5432/tp")
    err = capsys.readouterr().err
    for secret in (
        "plain-signing-value-9f3e",
        "older-signing-value-77aa",
        "oauth-client-secret-5b6c",
        "db-password-3e4f",
    ):
        assert secret not in err
    assert f"secret is {REDACTED}" in err
    assert f"postgresql+psycopg://taskpilot:{REDACTED}@db:5432/tp" in err


def test_values_handed_out_by_the_provider_are_redacted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(caplog, LOG_FORMAT="console")
    (tmp_path / "WEBHOOK_SECRET").write_text("mounted-webhook-secret-c0ffee\n")
    value = FileSecrets(directory=tmp_path).get("WEBHOOK_SECRET")
    assert value is not None
    log.error("webhook rejected, expected %s", value.get_secret_value())
    err = capsys.readouterr().err
    assert "mounted-webhook-secret-c0ffee" not in err
    assert f"expected {REDACTED}" in err


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_exception_tracebacks_are_redacted(
    log_format: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(caplog, LOG_FORMAT=log_format)
    try:
        raise RuntimeError("auth failed for token xoxp-9999-8888-feedfacefeed")
    except RuntimeError:
        log.exception("Slack call failed")
    err = capsys.readouterr().err
    assert "xoxp-9999-8888-feedfacefeed" not in err
    assert "RuntimeError: auth failed for token [redacted]" in err
    if log_format == "json":
        [line] = [json.loads(row) for row in err.strip().splitlines()]
        assert "Traceback" in str(line["exception"])


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "task 12 'renew the TLS certificate' assigned to <@U02> by alice, due 2026-11-27",
        "the bearer tokens expire after an hour; ask the desk-reservations team",
    ):
        assert redact(text) == text
    assert redact("authorization: bearer abc123def456") == f"authorization: bearer {REDACTED}"
