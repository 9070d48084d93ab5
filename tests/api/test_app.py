"""The server app on its embedded defaults: up without Slack, and saying what Slack needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.db import make_engine, upgrade
from core.settings import Settings
from taskpilot.server import create_app
from tests.slack_app.support import sign


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


def test_slack_credentials_mounted_as_files_are_enough_to_serve_slack(tmp_path: Path) -> None:
    # As Docker and Kubernetes mount secrets: nothing in the environment, one file each.
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "SLACK_SIGNING_SECRET").write_text("mounted-signing-secret\n")
    (secrets / "slack_bot_token").write_text("xoxb-mounted\n")
    settings = _settings(
        tmp_path,
        TASKPILOT_SECRETS_BACKEND="file",
        TASKPILOT_SECRETS_DIR=str(secrets),
        TASKPILOT_MODELS="offline",
        TASKPILOT_REMINDERS=False,
        TASKPILOT_DIRECTORY_SYNC_MINUTES=0,
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    body = json.dumps({"token": "x", "challenge": "c-42", "type": "url_verification"}).encode()

    with TestClient(create_app(settings)) as client:
        signed = client.post(
            "/slack/events",
            content=body,
            headers={
                "Content-Type": "application/json",
                **sign(body, secret="mounted-signing-secret"),
            },
        )
        forged = client.post(
            "/slack/events",
            content=body,
            headers={"Content-Type": "application/json", **sign(body, secret="guess")},
        )

    assert signed.status_code == 200 and signed.json() == {"challenge": "c-42"}
    assert forged.status_code == 401
