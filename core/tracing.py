"""Traces with Logfire (OpenTelemetry): where they go, what is instrumented, what is kept out.

Spans leave the process only when `LOGFIRE_TOKEN` is set (to Logfire) or
`OTEL_EXPORTER_OTLP_ENDPOINT` is (to Jaeger, Tempo or any OpenTelemetry collector, over
OTLP/HTTP). Instrumented: pydantic-ai (model calls, tool calls, tokens), httpx (provider and
other HTTP calls), and, only while spans are exported, SQLAlchemy (a span per query) and each
FastAPI app through `instrument_app` (a span per request). When nothing exports them, a request
gets a cheap, unrecorded span of its own instead (`RequestTraceMiddleware`): its log lines,
metric exemplars and error reports still carry one trace id (the caller's, when a `traceparent`
header names one), while the request pays for no span it would throw away. People's words
(prompts, replies, request bodies) stay out of spans unless `TASKPILOT_LOG_MESSAGE_TEXT` is on;
Logfire's scrubbing removes secret-looking attributes.
"""

from __future__ import annotations

import os
import random
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

import logfire
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from core.observability import tracing_exported
from core.settings import Settings

# `exported`: spans leave the process (or a test collects them), so the framework's own spans
# are worth making; `sqlalchemy`: the query instrumentation is installed (it cannot be undone).
_state: dict[str, bool] = {
    "configured": False,
    "message_text": False,
    "exported": False,
    "sqlalchemy": False,
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
    if _state["exported"] and not _state["sqlalchemy"]:
        _state["sqlalchemy"] = True
        # The OpenTelemetry instrumentation declares SQLAlchemy < 2.1; it works with 2.1 (its
        # events are unchanged) and a test checks that query spans are made.
        logfire.instrument_sqlalchemy(skip_dep_check=True)
    if _state["configured"]:
        return
    _state["configured"] = True
    logfire.instrument_pydantic_ai(
        include_content=settings.log_message_text, include_binary_content=False
    )
    logfire.instrument_httpx(capture_headers=False)


def _no_arguments(_request: Any, _attributes: dict[str, Any]) -> dict[str, Any] | None:
    # FastAPI's validated arguments (query, body) would be span attributes; they may hold
    # a person's words, so they are dropped unless message text may be recorded.
    return None


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_propagator = TraceContextTextMapPropagator()


def _random_id(bits: int) -> int:
    # Zero is the invalid id in OpenTelemetry; the odds are nil, but a retry costs nothing.
    while True:
        value = random.getrandbits(bits)
        if value:
            return value


def request_span(traceparent: str | None = None) -> NonRecordingSpan:
    """An unrecorded span for one request: a new span id in the caller's trace when a valid
    W3C `traceparent` is given, else in a new trace. Spans started under it share its trace id
    and, since it is not sampled, are not recorded either."""
    trace_id = 0
    if traceparent:
        parent = trace.get_current_span(_propagator.extract({"traceparent": traceparent}))
        trace_id = parent.get_span_context().trace_id
    return NonRecordingSpan(
        SpanContext(
            trace_id=trace_id or _random_id(128),
            span_id=_random_id(64),
            is_remote=False,
            trace_flags=TraceFlags(TraceFlags.DEFAULT),
        )
    )


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
