"""Traces with Logfire (OpenTelemetry): where they go, what is instrumented, what is kept out.

Spans leave the process only when `LOGFIRE_TOKEN` is set (to Logfire) or
`OTEL_EXPORTER_OTLP_ENDPOINT` is (to Jaeger, Tempo or any OpenTelemetry collector, over
OTLP/HTTP). Instrumented, only while spans are exported: pydantic-ai (model calls, tool calls,
tokens), httpx (provider and other HTTP calls), SQLAlchemy (a span per query) and each FastAPI
app through `instrument_app` (a span per request). When nothing exports them, a request gets a
cheap, unrecorded span of its own instead (`RequestTraceMiddleware`; a turn worker's job,
`unrecorded_span`): its log lines, metric exemplars and error reports still carry one trace id
(the caller's, when a `traceparent` header names one), while nobody pays for a span that
would be thrown away. People's words
(prompts, replies, request bodies) stay out of spans unless `TASKPILOT_LOG_MESSAGE_TEXT` is on;
Logfire's scrubbing removes secret-looking attributes.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import logfire
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor

from core.observability import tracing_exported
from core.settings import Settings
from core.spans import record_root_spans, request_span

# `exported`: spans leave the process (or a test collects them), so the framework's own spans
# are worth making; `sqlalchemy`, `agent`: the query instrumentation, and the agent's and
# outgoing HTTP calls' instrumentation, are installed (neither can be undone).
_state: dict[str, bool] = {
    "configured": False,
    "message_text": False,
    "exported": False,
    "sqlalchemy": False,
    "agent": False,
}

# Requests to these paths get no span (as with the FastAPI instrumentation's `excluded_urls`).
UNTRACED_PATHS = frozenset({"/metrics", "/healthz", "/readyz"})

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
    # A span per query and per request costs more than the query itself on a fast read; it is
    # made only when someone can look at it.
    _state["exported"] = tracing_exported(settings) or bool(span_processors)
    # TaskPilot's own spans with no request above them (an agent turn in Socket Mode, at a
    # benchmark) are recorded only when someone can look at them, as the libraries' are.
    record_root_spans(_state["exported"])
    if _state["exported"] and not _state["sqlalchemy"]:
        _state["sqlalchemy"] = True
        # The OpenTelemetry instrumentation declares SQLAlchemy < 2.1; it works with 2.1 (its
        # events are unchanged) and a test checks that query spans are made.
        logfire.instrument_sqlalchemy(skip_dep_check=True)
    if _state["exported"] and not _state["agent"]:
        _state["agent"] = True
        # Spans of the agent's runs, model requests and tool calls, and of outgoing HTTP
        # calls: recorded even when nothing exports them, they cost an agent turn about as
        # much as the task it writes (benchmark 2), so they too are made only when exported.
        logfire.instrument_pydantic_ai(
            include_content=settings.log_message_text, include_binary_content=False
        )
        logfire.instrument_httpx(capture_headers=False)
    _state["configured"] = True


def _no_arguments(_request: Any, _attributes: dict[str, Any]) -> dict[str, Any] | None:
    # FastAPI's validated arguments (query, body) would be span attributes; they may hold
    # a person's words, so they are dropped unless message text may be recorded.
    return None


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestTraceMiddleware:
    """Give every HTTP request (but health checks and metrics) a trace id without recording a
    span: the ASGI middleware `instrument_app` adds when spans are not exported."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        traceparent: str | None = None
        for name, value in scope.get("headers", []):
            if name == b"traceparent":
                traceparent = bytes(value).decode("latin-1")
                break
        span = request_span(traceparent)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self.app(scope, receive, send)
        finally:
            otel_context.detach(token)


def unrecorded_span() -> AbstractContextManager[object]:
    """Around work that no HTTP request carries (a turn worker's job): an unrecorded span, so
    that its log lines get a trace id, when spans are not exported; nothing when they are
    (the work's own spans are then recorded, each trace starting at its first)."""
    if spans_exported():
        return nullcontext()
    return trace.use_span(request_span(), end_on_exit=False)


def spans_exported() -> bool:
    """True when tracing is configured and its spans leave the process (or a test collects
    them): only then are per-request and per-query spans worth their cost."""
    return _state["configured"] and _state["exported"]


def instrument_app(app: Any) -> None:
    """Trace every request `app` (a FastAPI app) serves, when tracing is configured: with the
    FastAPI instrumentation when spans are exported, else with `RequestTraceMiddleware`."""
    if not _state["configured"]:
        return
    if not _state["exported"]:
        app.add_middleware(RequestTraceMiddleware)
        return
    logfire.instrument_fastapi(
        app,
        capture_headers=False,
        request_attributes_mapper=None if _state["message_text"] else _no_arguments,
        excluded_urls="/metrics,/healthz,/readyz",
    )
