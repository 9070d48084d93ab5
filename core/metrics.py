"""Prometheus metrics: every series TaskPilot exports, defined once, and how to record them.

The names and labels are a contract: the Grafana dashboards and alert rules under `deploy/`
query them, and docs/observability.md lists them. Change one and those change with it.

prometheus_client is imported on first use, not when this module is imported: it decides at
its own import whether values live in this process's memory or in files shared by several
worker processes (`PROMETHEUS_MULTIPROC_DIR`), so `taskpilot serve --workers N` exports that
variable before the workers start, and a worker's first metric is built after that.

In single-process mode the HTTP duration histogram and the agent turn counter carry an
exemplar with the trace and request ids of the observation (shown when /metrics is asked for
OpenMetrics). prometheus_client does not support exemplars in multi-process mode; there the
series are the same, without exemplars.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from core.context import REQUEST_ID, TRACE_ID, current_ids

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

# The variable prometheus_client reads to put metric values in files shared by processes.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# The route label of a request that matched no route (a 404, or one refused before routing).
OTHER_ROUTE = "other"

# HTTP methods kept as they are in the `method` label; anything else is `other`, so that a
# scanner sending made-up methods cannot create series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Slack gives an app 3 seconds to acknowledge; the buckets are finest below that.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0)
# An agent turn takes from a few milliseconds (the offline model) to a minute (retries).
_TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0, 120.0)

# OpenMetrics caps an exemplar's label names and values at 128 characters together.
_EXEMPLAR_MAX_CHARS = 128


@dataclass(frozen=True)
class Metrics:
    """Every metric TaskPilot exports (built once per process by `metrics()`)."""

    multiprocess: bool
    http_requests: Counter
    http_request_duration: Histogram
    slack_ack_duration: Histogram
    slack_duplicate_deliveries: Counter
    agent_turns: Counter
    agent_turn_duration: Histogram
    agent_degraded_turns: Counter
    model_calls: Counter
    model_fallbacks: Counter
    tool_calls: Counter
    tokens: Counter
    cost_usd: Counter
    rate_limit_rejections: Counter
    reminders_due: Gauge
    turn_queue_depth: Gauge
    turn_queue_wait: Histogram
    build_info: Gauge


def multiprocess_dir() -> str | None:
    """The directory metric files are shared in, when several processes serve."""
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(workers: int) -> str | None:
    """Set multi-process metrics up for a server with `workers` processes, before they start.

    With one worker (and no `PROMETHEUS_MULTIPROC_DIR` set) nothing is needed. Otherwise the
    directory is the variable's, or a new temporary one exported in it, so that the workers
    inherit it; files a previous run left there are removed, since their counts belong to
    processes that are gone. Returns the directory, or None in single-process mode.
    """
    given = multiprocess_dir()
    if given is None and workers <= 1:
        return None
    if given is None:
        given = tempfile.mkdtemp(prefix="taskpilot-metrics-")
        os.environ[MULTIPROC_ENV] = given
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
    return given


def remove_multiprocess_dir(path: str) -> None:
    """Remove a directory `prepare_multiprocess_dir` created (when the server stops)."""
    shutil.rmtree(path, ignore_errors=True)


@functools.cache
def metrics() -> Metrics:
    """The metrics of this process, defined on first use (see the module's note on why)."""
    from prometheus_client import Counter, Gauge, Histogram, values

    # prometheus_client chose its value class when it was first imported: in-memory values
    # (`MutexValue`) or values in the shared files.
    multiprocess = getattr(values, "ValueClass", None) is not getattr(values, "MutexValue", None)
    return Metrics(
        multiprocess=multiprocess,
        http_requests=Counter(
            "taskpilot_http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
        ),
        http_request_duration=Histogram(
            "taskpilot_http_request_duration_seconds",
            "Time from an HTTP request's arrival to the end of its response.",
            ["method", "route"],
        ),
        slack_ack_duration=Histogram(
            "taskpilot_slack_ack_duration_seconds",
            "Time from a request reaching POST /slack/events to its response (the ack).",
            ["kind"],
            buckets=_ACK_BUCKETS,
        ),
        slack_duplicate_deliveries=Counter(
            "taskpilot_slack_duplicate_deliveries_total",
            "Slack deliveries dropped because the event ledger had seen them already.",
        ),
        agent_turns=Counter(
            "taskpilot_agent_turns_total",
            "Agent turns run, by the model that served, prompt version and outcome.",
            ["model", "prompt_version", "outcome"],
        ),
        agent_turn_duration=Histogram(
            "taskpilot_agent_turn_duration_seconds",
            "Time an agent turn took, by the model that served it.",
            ["model"],
            buckets=_TURN_BUCKETS,
        ),
        agent_degraded_turns=Counter(
            "taskpilot_agent_degraded_turns_total",
            "Agent turns the offline model answered instead of the providers, by reason.",
            ["reason"],
        ),
        model_calls=Counter(
            "taskpilot_model_calls_total",
            "Model calls, by the model that served and outcome (ok or the error's kind).",
            ["model", "outcome"],
        ),
        model_fallbacks=Counter(
            "taskpilot_model_fallbacks_total",
            "Model calls served by a later link of the chain than the first.",
            ["from_model", "to_model"],
        ),
        tool_calls=Counter(
            "taskpilot_tool_calls_total",
            "Tool calls the agent made, by tool and outcome (ok or error).",
            ["tool", "outcome"],
        ),
        tokens=Counter(
            "taskpilot_tokens_total",
            "Tokens used by agent turns, by model and kind (input or output).",
            ["model", "kind"],
        ),
        cost_usd=Counter(
            "taskpilot_cost_usd_total",
            "Estimated cost of agent turns in US dollars, by model.",
            ["model"],
        ),
        rate_limit_rejections=Counter(
            "taskpilot_rate_limit_rejections_total",
            "Requests refused by a rate limit, by limit and surface (api or slack).",
            ["limit", "surface"],
        ),
        reminders_due=Gauge(
            "taskpilot_reminders_due",
            "Reminders due and not yet sent, as the latest reminder sweep found them.",
            multiprocess_mode="livemostrecent",
        ),
        turn_queue_depth=Gauge(
            "taskpilot_turn_queue_depth",
            "Slack jobs in the turn queue (waiting or running), as a turn worker last read it.",
            multiprocess_mode="livemostrecent",
        ),
        turn_queue_wait=Histogram(
            "taskpilot_turn_queue_wait_seconds",
            "Time a queued Slack job waited between its acknowledgement and a turn worker "
            "starting it.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
        ),
        build_info=Gauge(
            "taskpilot_build_info",
            "Always 1; the labels say which version runs in which environment.",
            ["version", "environment"],
            multiprocess_mode="livemax",
        ),
    )


def _exemplar(ids: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """The trace and request ids of the current work as an exemplar, when there are any.

    Multi-process mode keeps no exemplars, so none is built there.
    """
    if metrics().multiprocess:
        return None
    known = current_ids() if ids is None else ids
    chosen = {name: known[name] for name in (TRACE_ID, REQUEST_ID) if known.get(name)}
    while chosen and sum(len(k) + len(v) for k, v in chosen.items()) > _EXEMPLAR_MAX_CHARS:
        # A caller's very long request id must not cost the trace id its place.
        chosen.pop(REQUEST_ID if REQUEST_ID in chosen else TRACE_ID)
    return chosen or None


def method_label(method: str) -> str:
    """The `method` label of an HTTP method: itself when standard, else `other`."""
    upper = method.upper()
    return upper if upper in _METHODS else "other"


def observe_http_request(
    *, method: str, route: str, status: int, seconds: float, ids: Mapping[str, str] | None = None
) -> None:
    """Count an answered HTTP request and its duration; `ids` are its exemplar's (by default
    the ids bound now)."""
    m = metrics()
    method = method_label(method)
    m.http_requests.labels(method=method, route=route, status=str(status)).inc()
    m.http_request_duration.labels(method=method, route=route).observe(
        seconds, exemplar=_exemplar(ids)
    )


def observe_slack_ack(*, kind: str, seconds: float) -> None:
    """Record how long the ack of a Slack request of `kind` took."""
    metrics().slack_ack_duration.labels(kind=kind).observe(seconds)


def count_duplicate_delivery() -> None:
    """Count one Slack redelivery dropped by the event ledger."""
    metrics().slack_duplicate_deliveries.inc()


def observe_agent_turn(
    *,
    model: str,
    prompt_version: str,
    outcome: str,
    seconds: float,
    degraded_reason: str | None,
    tool_outcomes: Iterable[tuple[str, bool]],
    tokens: Mapping[str, tuple[int, int]],
    cost_usd: Mapping[str, float],
    offline_calls: Mapping[str, int],
) -> None:
    """Record one finished agent turn.

    `tool_outcomes` is (tool, ok) per call; `tokens` maps each model that answered to its
    (input, output) tokens; `cost_usd` each priced model to its cost; `offline_calls` the
    models that did not go through the provider router (the offline model, a test's model)
    to the calls they answered, which the router transport cannot count.
    """
    m = metrics()
    m.agent_turns.labels(model=model, prompt_version=prompt_version, outcome=outcome).inc(
        exemplar=_exemplar()
    )
    m.agent_turn_duration.labels(model=model).observe(seconds)
    if degraded_reason:
        m.agent_degraded_turns.labels(reason=degraded_reason).inc()
    for tool, ok in tool_outcomes:
        m.tool_calls.labels(tool=tool, outcome="ok" if ok else "error").inc()
    for name, (input_tokens, output_tokens) in tokens.items():
        if input_tokens:
            m.tokens.labels(model=name, kind="input").inc(input_tokens)
        if output_tokens:
            m.tokens.labels(model=name, kind="output").inc(output_tokens)
    for name, cost in cost_usd.items():
        if cost > 0:
            m.cost_usd.labels(model=name).inc(cost)
    for name, calls in offline_calls.items():
        if calls:
            m.model_calls.labels(model=name, outcome="ok").inc(calls)


def count_model_call(*, model: str, outcome: str) -> None:
    """Count one model call: `outcome` is `ok` or the kind of error (`RateLimitError`)."""
    metrics().model_calls.labels(model=model, outcome=outcome).inc()


def count_fallback(*, from_model: str, to_model: str) -> None:
    """Count one model call served by a later link of the chain than `from_model`."""
    metrics().model_fallbacks.labels(from_model=from_model, to_model=to_model).inc()


def count_rate_limit_rejection(*, limit: str, surface: str) -> None:
    """Count one refusal by a rate limit: `limit` is key, agent_user or agent_team; `surface`
    is api or slack."""
    metrics().rate_limit_rejections.labels(limit=limit, surface=surface).inc()


def set_reminders_due(count: int) -> None:
    """Record how many reminders the latest sweep found due and not yet sent."""
    metrics().reminders_due.set(count)


def set_turn_queue_depth(count: int) -> None:
    """Record how many Slack jobs the turn queue holds, waiting or running."""
    metrics().turn_queue_depth.set(count)


def observe_turn_queue_wait(seconds: float) -> None:
    """Record how long a queued Slack job waited for a turn worker."""
    metrics().turn_queue_wait.observe(max(seconds, 0.0))


def set_build_info(*, version: str, environment: str) -> None:
    """Export `taskpilot_build_info{version, environment} 1`, and only that build."""
    build_info = metrics().build_info
    # An app built again in the same process (tests do) replaces the earlier build's series.
    build_info.clear()
    build_info.labels(version=version, environment=environment).set(1)


def mark_process_dead(pid: int) -> None:
    """Drop the live gauges of a worker process that stopped (multi-process mode only)."""
    path = multiprocess_dir()
    if path is None or not metrics().multiprocess:
        return
    from prometheus_client import multiprocess

    mark = cast("Callable[[int, str], None]", multiprocess.mark_process_dead)  # pyright: ignore[reportUnknownMemberType]
    mark(pid, path)


def render(accept: str | None) -> tuple[bytes, str]:
    """The exposition of every metric and its content type: the Prometheus text format 0.0.4,
    or OpenMetrics when `accept` asks for it. In multi-process mode the values of every worker
    process are read from the shared files and summed."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.exposition import choose_encoder

    m = metrics()
    if m.multiprocess:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir())
    else:
        registry = REGISTRY
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
