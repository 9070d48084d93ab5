"""Traces with Logfire (OpenTelemetry): where they go, what is instrumented, what is kept out.

Spans are always made (log lines carry their trace id); they leave the process only when
`LOGFIRE_TOKEN` is set (to Logfire) or `OTEL_EXPORTER_OTLP_ENDPOINT` is (to Jaeger, Tempo or
any OpenTelemetry collector, over OTLP/HTTP). Instrumented: pydantic-ai (model calls, tool
calls, tokens), httpx (provider and other HTTP calls), SQLAlchemy, and each FastAPI app through
`instrument_app`. People's words (prompts, replies, request bodies) stay out of spans unless
`TASKPILOT_LOG_MESSAGE_TEXT` is on; Logfire's scrubbing removes secret-looking attributes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import logfire
from opentelemetry.sdk.trace import SpanProcessor

from core.settings import Settings

_state: dict[str, bool] = {"configured": False, "message_text": False}

# Attribute names Logfire's scrubbing must hide besides its own list (password, secret,
# token, auth, cookie, ...): Slack's signing headers and the API's key header.
_EXTRA_SCRUB_PATTERNS = ("signature", "x-api-key", "signing")


def configure_tracing(settings: Settings, *, span_processors: Sequence[SpanProcessor] = ()) -> None:
    """Set Logfire up from the settings and instrument the libraries; safe to call again.

    `span_processors` are added beside the exporters (tests pass an in-memory one).
    """
    if settings.otlp_endpoint:
        # Logfire reads the standard OpenTelemetry variable itself; a value that came from
        # `.env` is handed on so that it is honoured the same way.
        os.environ.setdefault("OTEL_EXPORTER_OTLP_ENDPOINT", settings.otlp_endpoint)
    token = settings.logfire_token.get_secret_value() if settings.logfire_token else None
    logfire.configure(
        send_to_logfire="if-token-present",
        token=token,
        service_name=settings.service_name,
        service_version=settings.running_release(),
        environment=settings.environment,
        console=False,
        metrics=False,
        additional_span_processors=list(span_processors),
        scrubbing=logfire.ScrubbingOptions(extra_patterns=list(_EXTRA_SCRUB_PATTERNS)),
        inspect_arguments=False,
    )
    _state["message_text"] = settings.log_message_text
    if _state["configured"]:
        return
    _state["configured"] = True
    logfire.instrument_pydantic_ai(
        include_content=settings.log_message_text, include_binary_content=False
    )
    logfire.instrument_httpx(capture_headers=False)
    # The OpenTelemetry instrumentation declares SQLAlchemy < 2.1; it works with 2.1 (its
    # events are unchanged) and a test checks that query spans are made.
    logfire.instrument_sqlalchemy(skip_dep_check=True)


def _no_arguments(_request: Any, _attributes: dict[str, Any]) -> dict[str, Any] | None:
    # FastAPI's validated arguments (query, body) would be span attributes; they may hold
    # a person's words, so they are dropped unless message text may be recorded.
    return None


def instrument_app(app: Any) -> None:
    """Trace every request `app` (a FastAPI app) serves, when tracing is configured."""
    if not _state["configured"]:
        return
    logfire.instrument_fastapi(
        app,
        capture_headers=False,
        request_attributes_mapper=None if _state["message_text"] else _no_arguments,
        excluded_urls="/metrics,/healthz,/readyz",
    )
