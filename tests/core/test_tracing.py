"""What tracing instruments: per-query and per-request spans only when spans leave the process;
otherwise a request gets an unrecorded span that still gives its work a trace id."""

from __future__ import annotations

from typing import Any

import logfire
import pytest
from fastapi import FastAPI
from opentelemetry import trace

from core import spans, tracing
from core.context import TRACE_ID, current_ids
from core.settings import Settings
from core.tracing import (
    RequestTraceMiddleware,
    configure_tracing,
    instrument_app,
    request_span,
    spans_exported,
    unrecorded_span,
)

NO_EXPORTER: dict[str, object] = {"OTEL_EXPORTER_OTLP_ENDPOINT": None, "LOGFIRE_TOKEN": None}
INSTRUMENTS = (
    "configure",
    "instrument_pydantic_ai",
    "instrument_httpx",
    "instrument_sqlalchemy",
    "instrument_fastapi",
)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Logfire's set-up and instrumentation calls, recorded instead of made; tracing's state
    starts afresh and is restored afterwards."""
    made: list[str] = []
    for name in INSTRUMENTS:

        def record(*_args: Any, _name: str = name, **_kwargs: Any) -> None:
            made.append(_name)

        monkeypatch.setattr(logfire, name, record)
    monkeypatch.setattr(
        tracing,
        "_state",
        {
            "configured": False,
            "message_text": False,
            "exported": False,
            "sqlalchemy": False,
            "agent": False,
        },
    )
    # `configure_tracing` hands an endpoint from the settings on to the environment. Set,
    # then deleted, so that the end of the test removes what the test put there (a bare
    # delete of an absent variable restores nothing, and the endpoint leaked into every
    # later test's exporter).
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "unset")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    return made


def _middleware(app: FastAPI) -> list[object]:
    return [middleware.cls for middleware in app.user_middleware]


def test_without_an_exporter_queries_and_requests_get_no_spans(calls: list[str]) -> None:
    configure_tracing(Settings.model_validate(NO_EXPORTER))
    app = FastAPI()
    instrument_app(app)
    assert not spans_exported()
    assert "instrument_sqlalchemy" not in calls
    assert "instrument_fastapi" not in calls
    assert RequestTraceMiddleware in _middleware(app)
    # Nor are the agent's runs or outgoing HTTP calls: recorded spans cost a turn as much as
    # its task's write.
    assert "configure" in calls
    assert "instrument_pydantic_ai" not in calls
    assert "instrument_httpx" not in calls


@pytest.mark.parametrize(
    "values",
    [{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, {"LOGFIRE_TOKEN": "pylf_v1_x"}],
)
def test_with_an_exporter_queries_and_requests_are_instrumented(
    calls: list[str], values: dict[str, str]
) -> None:
    configure_tracing(Settings.model_validate(values))
    app = FastAPI()
    instrument_app(app)
    assert spans_exported()
    assert calls.count("instrument_sqlalchemy") == 1
    assert calls.count("instrument_pydantic_ai") == 1
    assert calls.count("instrument_httpx") == 1
    assert "instrument_fastapi" in calls
    assert RequestTraceMiddleware not in _middleware(app)


def test_an_exporter_configured_later_still_gets_query_spans(calls: list[str]) -> None:
    configure_tracing(Settings.model_validate(NO_EXPORTER))
    configure_tracing(Settings.model_validate({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}))
    configure_tracing(Settings.model_validate({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}))
    assert calls.count("instrument_sqlalchemy") == 1
    assert calls.count("instrument_pydantic_ai") == 1


def test_a_request_span_is_unrecorded_and_unsampled_with_valid_ids() -> None:
    first, second = request_span(), request_span()
    for span in (first, second):
        context = span.get_span_context()
        assert context.is_valid
        assert not span.is_recording()
        assert not context.trace_flags.sampled
    assert first.get_span_context().trace_id != second.get_span_context().trace_id


def test_a_request_span_continues_the_callers_trace() -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    span = request_span(f"00-{trace_id}-00f067aa0ba902b7-01")
    assert format(span.get_span_context().trace_id, "032x") == trace_id
    assert span.get_span_context().span_id != 0x00F067AA0BA902B7
    # A malformed header starts a trace of its own.
    assert request_span("garbage").get_span_context().is_valid


def test_spans_started_under_a_request_span_share_its_trace_and_are_not_recorded() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    span = request_span()
    tracer = TracerProvider().get_tracer("test")
    with (
        trace.use_span(span, end_on_exit=False),
        tracer.start_as_current_span("child") as child,
    ):
        assert not child.is_recording()
        context = child.get_span_context()
    assert context.trace_id == span.get_span_context().trace_id
    assert context.span_id != span.get_span_context().span_id


def test_work_outside_a_request_gets_an_unrecorded_trace_only_while_spans_stay_home(
    calls: list[str],
) -> None:
    # A turn worker's job: its log lines need a trace id, which a recorded span would cost.
    configure_tracing(Settings.model_validate(NO_EXPORTER))
    with unrecorded_span():
        inside = trace.get_current_span()
        assert inside.get_span_context().is_valid
        assert not inside.is_recording()
    assert not trace.get_current_span().get_span_context().is_valid
    # Exported, the job's own spans are recorded: nothing unsampled may sit above them.
    configure_tracing(Settings.model_validate({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}))
    with unrecorded_span():
        assert not trace.get_current_span().get_span_context().is_valid


def test_taskpilots_own_spans_without_a_parent_are_recorded_only_while_exported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An agent turn with no request above it (Socket Mode, a benchmark): a recorded span
    # nobody can see would cost the turn about as much as the task it writes.
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def tracer(name: str, *_args: object, **_kwargs: object) -> Any:
        return provider.get_tracer(name)

    monkeypatch.setattr(trace, "get_tracer", tracer)
    monkeypatch.setattr(spans, "_roots", {"recorded": True})
    spans.record_root_spans(False)
    with spans.span("agent turn", team_id="T1") as turn:
        assert not turn.is_recording()
        # Its log lines still get a trace id.
        assert current_ids().get(TRACE_ID)
    spans.record_root_spans(True)
    with spans.span("agent turn", team_id="T1") as turn:
        assert turn.is_recording()
    assert [finished.name for finished in exporter.get_finished_spans()] == ["agent turn"]
