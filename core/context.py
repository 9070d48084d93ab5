"""What the current work is for: the request, team, person and Slack event, and its trace.

Transports bind these when a request or event starts (`bound(...)`); log lines, spans, metrics'
exemplars and error reports read them back (`current_ids()`), so that one Slack message can be
followed through all of them by its request id and trace id. Only ids are kept here, never a
person's name or words. Context variables follow the work across `await` and into
`asyncio.to_thread`, and stay apart between concurrent requests.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace

T = TypeVar("T")

# The field names are part of the log format's contract (docs/observability.md): log
# pipelines and dashboards key on them, so they do not change.
REQUEST_ID = "request_id"
TEAM_ID = "team_id"
USER_ID = "user_id"
SLACK_EVENT_ID = "slack_event_id"
TRACE_ID = "trace_id"
SPAN_ID = "span_id"

_FIELDS: dict[str, ContextVar[str | None]] = {
    name: ContextVar(f"taskpilot_{name}", default=None)
    for name in (REQUEST_ID, TEAM_ID, USER_ID, SLACK_EVENT_ID)
}


@contextmanager
def bound(
    *,
    request_id: str | None = None,
    team_id: str | None = None,
    user_id: str | None = None,
    slack_event_id: str | None = None,
    fresh: bool = False,
) -> Generator[None]:
    """Bind the given ids for the work inside the block; ids not given keep their value, or,
    with `fresh`, start empty (a new request). Every id is restored when the block ends, also
    ids that `bind` set inside it."""
    given = {
        REQUEST_ID: request_id,
        TEAM_ID: team_id,
        USER_ID: user_id,
        SLACK_EVENT_ID: slack_event_id,
    }
    tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = []
    for name, value in given.items():
        variable = _FIELDS[name]
        if value or fresh:
            tokens.append((variable, variable.set(value or None)))
        else:
            # Setting the current value again gives a token that restores it at the end.
            tokens.append((variable, variable.set(variable.get())))
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def bind(
    *,
    request_id: str | None = None,
    team_id: str | None = None,
    user_id: str | None = None,
    slack_event_id: str | None = None,
    fresh: bool = False,
) -> None:
    """Bind ids for the rest of the current task or thread (for code that cannot wrap its work
    in `bound`, such as a Bolt middleware that hands over to the next one); with `fresh`, ids
    not given are cleared."""
    given = {
        REQUEST_ID: request_id,
        TEAM_ID: team_id,
        USER_ID: user_id,
        SLACK_EVENT_ID: slack_event_id,
    }
    for name, value in given.items():
        if value or fresh:
            _FIELDS[name].set(value or None)


def trace_ids() -> dict[str, str]:
    """The current span's trace and span ids as 32 and 16 hex digits, or nothing outside a
    recorded span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {TRACE_ID: format(context.trace_id, "032x"), SPAN_ID: format(context.span_id, "016x")}


def current_ids() -> dict[str, str]:
    """Every id bound now, and the trace's, by their stable field names."""
    ids = {name: value for name, variable in _FIELDS.items() if (value := variable.get())}
    ids.update(trace_ids())
    return ids


def carried(work: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
    """`work`, made to run under the caller's ids and trace wherever it is awaited, such as on
    another thread's event loop, where the caller's context would otherwise be lost."""
    ids = {name: variable.get() for name, variable in _FIELDS.items()}
    trace_context = otel_context.get_current()

    async def run() -> T:
        token = otel_context.attach(trace_context)
        try:
            with bound(
                request_id=ids[REQUEST_ID],
                team_id=ids[TEAM_ID],
                user_id=ids[USER_ID],
                slack_event_id=ids[SLACK_EVENT_ID],
            ):
                return await work
        finally:
            otel_context.detach(token)

    return run()
