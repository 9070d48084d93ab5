"""Spans of TaskPilot's own work, through the OpenTelemetry API.

Cheap to import (no Logfire) and silent when tracing was never configured: the API's no-op
tracer answers then. `core.tracing` sets the real tracer provider up.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace


def span(name: str, **attributes: str | int | float | bool | None) -> Any:
    """A span around a block of work (`with span("slack event", kind="command"):`).

    Made through the OpenTelemetry API, so that it costs nothing and warns about nothing
    when tracing was never configured (tests, one-off commands)."""
    given = {key: value for key, value in attributes.items() if value is not None}
    return trace.get_tracer("taskpilot").start_as_current_span(name, attributes=given)


def set_attributes(**attributes: str | int | float | bool | None) -> None:
    """Add attributes to the current span (when there is one being recorded)."""
    current = trace.get_current_span()
    if current.is_recording():
        current.set_attributes(
            {key: value for key, value in attributes.items() if value is not None}
        )
