"""Logging set-up from the settings: console lines for people, JSON lines for machines.

Every line carries the ids of the work it belongs to (`core.context`: request, team, user,
Slack event, trace and span) under stable field names, so that a log pipeline can join a
Slack message's lines with its spans and error reports. Secrets are redacted on every handler;
people's message text (fields named in `MESSAGE_FIELDS`) is hidden unless
`TASKPILOT_LOG_MESSAGE_TEXT` is on.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from core.context import REQUEST_ID, TRACE_ID, current_ids
from core.redaction import redaction_filter
from core.settings import Settings

# Attributes every LogRecord has; anything else was passed in `extra=` and belongs in the line.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


_CHATTY_LIBRARIES = (
    "alembic",
    "httpx",
    "httpx2",
    "httpcore",
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "litellm",
    "openai",
)


# `extra=` fields that may hold what a person wrote (or what was written back to them).
MESSAGE_FIELDS = frozenset({"body", "text", "reply", "utterance", "prompt", "message_text"})
HIDDEN = "[message text hidden]"


class ContextFilter(logging.Filter):
    """Adds the current work's ids to each record; ids passed in `extra=` win."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in current_ids().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class MessageTextFilter(logging.Filter):
    """Replaces `extra=` fields that may hold people's words with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in MESSAGE_FIELDS & record.__dict__.keys():
            setattr(record, key, HIDDEN)
        return True


class ConsoleFormatter(logging.Formatter):
    """`LEVEL logger: message`, then the request id and a short trace id when there are."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, REQUEST_ID, None)
        trace_id = getattr(record, TRACE_ID, None)
        ids = [
            *([f"req={request_id}"] if request_id else []),
            # Logfire's trace ids begin with a timestamp; their end tells traces apart.
            *([f"trace=…{str(trace_id)[-8:]}"] if trace_id else []),
        ]
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first}  [{' '.join(ids)}]{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the `extra=` fields alongside the message."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Send logs to stderr at the configured level and format; safe to call more than once."""
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ConsoleFormatter())
    handler.addFilter(ContextFilter())
    if not settings.log_message_text:
        handler.addFilter(MessageTextFilter())
    # Secrets and token-looking strings are replaced before any formatter sees the record.
    handler.addFilter(redaction_filter(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.root_log_level)
    # Libraries that narrate their start-up at INFO speak only when something is wrong,
    # unless the person asked for DEBUG.
    quiet = logging.DEBUG if settings.root_log_level == "DEBUG" else logging.WARNING
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    # Levels named per logger ("slack_app=DEBUG") come last and win.
    for name, level in settings.logger_levels.items():
        logging.getLogger(name).setLevel(level)
