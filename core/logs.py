"""Logging set-up from the settings: console lines for people, JSON lines for machines."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

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
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
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
