"""One Slack message through `taskpilot serve`, followed through its logs, spans and metrics.

The server runs as a person runs it (a subprocess, JSON logs on stdout, default settings for
what is recorded), with its spans exported over OTLP/HTTP to a local receiver (not Jaeger or
Tempo) and its Web API calls going to the local Web API server (not Slack). The test sends one
signed mention and then checks that an operator can follow it: every log line, span and
metric exemplar of that message carries the same request id and trace id, the agent's model
call and tool call are spans of that trace with the prompt version and model on them, and no
secret and none of the person's words appear anywhere.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from devtools.local_web_api import LocalSlackWebAPI
from tests.observability.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.serve_process import ServeProcess, free_port, running_serve, serve_env
from tests.slack_app.support import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    app_mention,
    event_callback,
    sign,
)

pytestmark = pytest.mark.slow

# Words only the person wrote: they must not leave the process with default settings.
WORDS = "reconcile the zebra invoices"
LLM_KEY = "sk-observability-test-key-0123456789"


@pytest.fixture
def web() -> Iterator[LocalSlackWebAPI]:
    with LocalSlackWebAPI() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as collector:
        yield collector


@pytest.fixture
def server(tmp_path: Path, web: LocalSlackWebAPI, receiver: OtlpReceiver) -> Iterator[ServeProcess]:
    env = serve_env(
        database_url=f"sqlite:///{tmp_path / 'taskpilot.db'}",
        port=free_port(),
        web_api=web.base_url,
        TASKPILOT_LLM_API_KEY=LLM_KEY,
        TASKPILOT_DIRECTORY_SYNC_MINUTES="0",
        LOG_FORMAT="json",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        # Export spans at once rather than every five seconds.
        OTEL_BSP_SCHEDULE_DELAY="100",
    )
    with running_serve(env, cwd=tmp_path) as served:
        yield served


def _log_lines(output: list[str]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for line in list(output):
        line = line.strip()
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _wait_for_spans(
    receiver: OtlpReceiver, trace_id: str, names: set[str], timeout: float = 20
) -> list[ReceivedSpan]:
    deadline = time.monotonic() + timeout
    while True:
        spans = [span for span in receiver.snapshot() if span.trace_id == trace_id]
        if names <= {span.name for span in spans} or time.monotonic() > deadline:
            return spans
        time.sleep(0.1)


def test_one_mention_can_be_followed_through_logs_spans_and_metrics(
    server: ServeProcess, web: LocalSlackWebAPI, receiver: OtlpReceiver
) -> None:
    event_id = "Ev0OBSERVE1"
    body = event_callback(app_mention(f"<@U0BOT> add a task to {WORDS}"), event_id=event_id)
    response = httpx.post(
        f"{server.url}/slack/events",
        content=body,
        headers={"Content-Type": "application/json", **sign(body, secret=SIGNING_SECRET)},
        timeout=10,
    )
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    [reply] = web.wait_for("chat.postMessage")
    assert "Created #1" in json.dumps(reply.args)

    # Logs: the lines about this event all carry its request, team, user and trace.
    deadline = time.monotonic() + 10
    while True:
        mine = [
            line for line in _log_lines(server.output) if line.get("slack_event_id") == event_id
        ]
        if any(line.get("logger", "").startswith("agent") for line in mine):
            break
        assert time.monotonic() < deadline, "no agent log line for the event:\n" + "".join(
            server.output
        )
        time.sleep(0.1)
    assert {line["request_id"] for line in mine} == {request_id}
    assert {line["team_id"] for line in mine} == {TEAM}
    assert {line["user_id"] for line in mine} == {"U0ALICE"}
    trace_ids = {line["trace_id"] for line in mine}
    assert len(trace_ids) == 1, mine
    [trace_id] = trace_ids

    # Spans: the request, the Slack listener, the agent turn, its model call and tool call
    # are one trace; the turn says which model and prompt version served it.
    spans = _wait_for_spans(receiver, trace_id, {"POST /slack/events", "slack event", "agent turn"})
    names = {span.name for span in spans}
    assert {"POST /slack/events", "slack event", "agent turn"} <= names, names
    # pydantic-ai's spans (OpenTelemetry GenAI names): the agent run, the model call, the tool.
    assert {"invoke_agent agent", "chat offline", "execute_tool create_task"} <= names, names
    # SQLAlchemy's queries too (its instrumentation declares SQLAlchemy < 2.1; 2.1 works).
    assert any(name.startswith("INSERT") for name in names), names
    [turn] = [span for span in spans if span.name == "agent turn"]
    assert turn.attributes["taskpilot.model"] == "offline"
    assert turn.attributes["taskpilot.prompt_version"] == "v3"
    assert turn.attributes["taskpilot.degraded"] is False
    assert turn.attributes["request_id"] == request_id
    [slack_span] = [span for span in spans if span.name == "slack event"]
    assert slack_span.attributes["slack_event_id"] == event_id
    assert {span.service for span in spans} == {"taskpilot"}

    # Metrics: the turn and the request are counted, with exemplars pointing at this trace.
    scraped = httpx.get(
        f"{server.url}/metrics",
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        timeout=10,
    ).text
    exemplars: dict[str, dict[str, str]] = {}
    for family in text_string_to_metric_families(scraped):
        for sample in family.samples:
            if sample.exemplar is not None and sample.exemplar.labels.get("trace_id") == trace_id:
                exemplars[family.name] = dict(sample.exemplar.labels)
    assert "taskpilot_agent_turns" in exemplars, sorted(exemplars)
    assert exemplars["taskpilot_agent_turns"]["request_id"] == request_id

    # Nothing secret and none of the person's words, anywhere.
    everything = "".join(server.output) + "".join(span.raw for span in spans) + scraped
    for secret in (SIGNING_SECRET, BOT_TOKEN, LLM_KEY):
        assert secret not in everything
    assert "zebra" not in everything.lower()
