"""One set-up of logs, traces and error tracking for every entry point.

`configure_observability(settings)` is called once per process: by the `taskpilot` command
(server, Socket Mode, CLI, evals) and by each server worker. It never connects anywhere by
itself; exporters send only when a Logfire token, an OTLP endpoint or a Sentry DSN is set.
"""

from __future__ import annotations

from core.logs import configure_logging
from core.settings import Settings


def tracing_exported(settings: Settings) -> bool:
    """True when spans leave the process: a Logfire token or an OTLP endpoint is set."""
    return settings.logfire_token is not None or bool(settings.otlp_endpoint)


def configure_observability(settings: Settings, *, tracing: bool | None = None) -> None:
    """Set logging, tracing and error tracking up from the settings; safe to call again.

    Tracing is set up when `tracing` is True (the server always asks for it, so that its log
    lines carry trace ids) or, when None, only if spans are exported: a one-off command does
    not pay for importing Logfire otherwise.
    """
    configure_logging(settings)
    if settings.secrets_backend != "env":
        # SENTRY_DSN may be mounted with the secrets rather than set in the environment.
        from core.secrets import settings_with_secrets

        settings = settings_with_secrets(settings)
    if settings.sentry_dsn:
        # Imported only when needed: Sentry's SDK costs a third of a second to import.
        from core.error_tracking import init_error_tracking

        init_error_tracking(settings)
    if tracing or (tracing is None and tracing_exported(settings)):
        from core.tracing import configure_tracing

        configure_tracing(settings)
