"""The server app on its embedded defaults: up without Slack, and saying what Slack needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings


def _settings(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'taskpilot.db'}",
        "SLACK_SIGNING_SECRET": None,
        "SLACK_BOT_TOKEN": None,
        "SLACK_CLIENT_ID": None,
        "SLACK_CLIENT_SECRET": None,
    }
    base.update(values)
    return Settings.model_validate(base)


def test_without_slack_credentials_the_server_runs_and_the_slack_endpoint_says_why(
    tmp_path: Path,
) -> None:
    with TestClient(create_app(_settings(tmp_path))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        response = client.post("/slack/events", content=b"{}")
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert "SLACK_SIGNING_SECRET" in detail and "SLACK_BOT_TOKEN" in detail


@pytest.mark.parametrize(
    ("values", "missing"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        (
            {"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"},
            "SLACK_TOKEN_ENCRYPTION_KEY",
        ),
    ],
    ids=["no-secret", "no-token", "oauth-without-key"],
)
def test_half_configured_slack_names_what_is_missing(
    tmp_path: Path, values: dict[str, object], missing: str
) -> None:
    with TestClient(create_app(_settings(tmp_path, **values))) as client:
        response = client.post("/slack/events", content=b"{}")
        assert response.status_code == 503
        assert missing in response.json()["detail"]
        assert client.get("/slack/install").status_code == 503
