"""One set-up of logs, traces and error tracking for every entry point.

`configure_observability(settings)` is called once per process: by the `taskpilot` command
(server, Socket Mode, CLI, evals) and by each server worker. It never connects anywhere by
itself; exporters send only when a Logfire token, an OTLP endpoint or a Sentry DSN is set.
"""

from __future__ import annotations

import logging

from core.logs import configure_logging
from core.settings import Settings

logger = logging.getLogger(__name__)

SENTRY_DSN = "SENTRY_DSN"


def with_sentry_dsn(settings: Settings) -> Settings:
    """The settings with `SENTRY_DSN` read from the secrets backend when the environment does
    not set it: in Kubernetes it arrives with the other secrets, as a mounted file (or from
    AWS Secrets Manager), not as a variable."""
    if settings.sentry_dsn or settings.secrets_backend == "env":
        return settings
    from core.secrets import SecretsError, secrets_from_settings

    try:
        value = secrets_from_settings(settings).get(SENTRY_DSN)
    except SecretsError as error:
        logger.warning("%s; errors are not reported to Sentry", error)
        return settings
    if value is None:
        return settings
    return settings.model_copy(update={"sentry_dsn": value.get_secret_value().strip()})


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
    settings = with_sentry_dsn(settings)
    if settings.sentry_dsn:
        # Imported only when needed: Sentry's SDK costs a third of a second to import.
        from core.error_tracking import init_error_tracking

        init_error_tracking(settings)
    if tracing or (tracing is None and tracing_exported(settings)):
        from core.tracing import configure_tracing

        configure_tracing(settings)
