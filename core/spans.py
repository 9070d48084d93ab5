"""Spans of TaskPilot's own work, through the OpenTelemetry API.

Cheap to import (no Logfire) and silent when tracing was never configured: the API's no-op
tracer answers then. `core.tracing` sets the real tracer provider up.
"""

from __future__ import annotations

import random
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_propagator = TraceContextTextMapPropagator()

# Whether a span started with no span above it is recorded; `core.tracing` turns it off while
# nothing exports spans.
_roots = {"recorded": True}


def record_root_spans(recorded: bool) -> None:
    """Whether `span` records a span that has no span above it (`core.tracing` says)."""
    _roots["recorded"] = recorded


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


def span(name: str, **attributes: str | int | float | bool | None) -> Any:
    """A span around a block of work (`with span("slack event", kind="command"):`).

    Made through the OpenTelemetry API, so that it costs nothing and warns about nothing
    when tracing was never configured (tests, one-off commands). With no span above it and
    nothing exporting spans, it starts under an unrecorded one: its trace id still reaches
    the log lines, but it is not recorded (which costs an agent turn as much as its write)."""
    given = {key: value for key, value in attributes.items() if value is not None}
    tracer = trace.get_tracer("taskpilot")
    if not _roots["recorded"] and not trace.get_current_span().get_span_context().is_valid:
        unrecorded = trace.set_span_in_context(request_span())
        return tracer.start_as_current_span(name, context=unrecorded, attributes=given)
    return tracer.start_as_current_span(name, attributes=given)


def set_attributes(**attributes: str | int | float | bool | None) -> None:
    """Add attributes to the current span (when there is one being recorded)."""
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes(
            {key: value for key, value in attributes.items() if value is not None}
        )
