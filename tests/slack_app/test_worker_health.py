"""A turn worker's `/metrics`, through its own HTTP endpoint: the same access rule as the
server's (`core.metrics_access`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from core.settings import Settings
from slack_app.delivery.worker_health import WorkerHealthServer, WorkerPulse


@contextmanager
def _endpoint(settings: Settings) -> Iterator[str]:
    server = WorkerHealthServer(WorkerPulse(), host="127.0.0.1", port=0, settings=settings)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("settings", "headers", "status"),
    [
        ({}, {}, 200),
        ({"TASKPILOT_ENVIRONMENT": "production"}, {}, 404),
        ({"TASKPILOT_METRICS_TOKEN": "scrape-me"}, {"Authorization": "Bearer nope"}, 401),
        ({"TASKPILOT_METRICS_TOKEN": "scrape-me"}, {"Authorization": "Bearer scrape-me"}, 200),
    ],
    ids=["development-open", "production-off", "wrong-token", "right-token"],
)
def test_a_workers_metrics_follow_the_servers_rule(
    settings: dict[str, object], headers: dict[str, str], status: int
) -> None:
    with _endpoint(Settings.model_validate(settings)) as base:
        response = httpx.get(f"{base}/metrics", headers=headers, timeout=10)
        assert response.status_code == status
        assert ("# HELP" in response.text) == (status == 200)
        if status == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"
        # Probes stay open: the orchestrator sends no token.
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
