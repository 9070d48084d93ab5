"""Rotating the Slack signing secret while requests flow, through the real HTTP endpoint.

The signing secret lives in a mounted file (the `file` secrets backend, in tmp_path), cached
for five minutes; the cache's clock is moved by hand, so "after the TTL" needs no waiting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devtools.local_web_api import LocalSlackWebAPI
from tests.conftest import SecretsClock
from tests.slack_app.conftest import SlackFactory
from tests.slack_app.support import (
    SIGNING_SECRET,
    SlackHarness,
    app_mention,
    event_callback,
    slash_command,
)

OLD = "old-signing-secret-0a1b2c3d"
NEW = "new-signing-secret-4e5f6a7b"
TTL = 300.0


@pytest.fixture
def secrets_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run-secrets"
    path.mkdir()
    return path


@contextmanager
def file_backed_slack(make_slack: SlackFactory, secrets_dir: Path) -> Iterator[SlackHarness]:
    """The server with its secrets in `secrets_dir`. The settings still hold the harness's
    signing secret (from the environment); the mounted file must win over it."""
    with make_slack(
        TASKPILOT_SECRETS_BACKEND="file",
        TASKPILOT_SECRETS_DIR=str(secrets_dir),
        TASKPILOT_SECRETS_TTL_SECONDS=TTL,
    ) as harness:
        yield harness


def _challenge(slack: SlackHarness, *, secret: str, timestamp: int | None = None) -> int:
    """POST a signed `url_verification` request; its status code."""
    body = json.dumps({"token": "x", "challenge": "c-123", "type": "url_verification"}).encode()
    return slack.post(body, secret=secret, timestamp=timestamp).status_code


def _mention(slack: SlackHarness, text: str, *, secret: str, event_id: str | None = None) -> int:
    body = event_callback(app_mention(f"<@U0BOT> add a task to {text}"), event_id=event_id)
    return slack.post(body, secret=secret).status_code


def test_old_and_new_secrets_both_verify_during_rotation_and_old_stops_after(
    make_slack: SlackFactory, web: LocalSlackWebAPI, secrets_dir: Path, secrets_clock: SecretsClock
) -> None:
    (secrets_dir / "SLACK_SIGNING_SECRET").write_text(f"{OLD}\n")
    with file_backed_slack(make_slack, secrets_dir) as slack:
        assert _challenge(slack, secret=OLD) == 200
        # The mounted file wins over the environment's secret, and the new one is not valid yet.
        assert _challenge(slack, secret=SIGNING_SECRET) == 401
        assert _challenge(slack, secret=NEW) == 401

        # Rotation starts: the new secret is added in front of the old one.
        (secrets_dir / "SLACK_SIGNING_SECRET").write_text(f"{NEW},{OLD}\n")
        secrets_clock.now += TTL
        assert _mention(slack, "renew the TLS cert", secret=OLD) == 200
        assert _mention(slack, "order new badges", secret=NEW) == 200
        assert _mention(slack, "wire money to mallory", secret="forged-secret-000") == 401
        slack.drain()
        titles = sorted(task.title for task in slack.tasks())
        assert len(titles) == 2
        assert "badges" in titles[0] and "TLS cert" in titles[1]

        # Rotation ends: the old secret is dropped. Until the cache expires it still verifies.
        (secrets_dir / "SLACK_SIGNING_SECRET").write_text(f"{NEW}\n")
        secrets_clock.now += TTL - 1
        assert _challenge(slack, secret=OLD) == 200
        secrets_clock.now += 1
        assert _mention(slack, "pay the old invoice", secret=OLD) == 401
        assert _challenge(slack, secret=OLD) == 401
        assert _challenge(slack, secret=NEW) == 200
        slack.drain()
        assert len(slack.tasks()) == 2


def test_previous_secret_variable_verifies_until_removed(
    make_slack: SlackFactory, secrets_dir: Path, secrets_clock: SecretsClock
) -> None:
    (secrets_dir / "SLACK_SIGNING_SECRET").write_text(NEW)
    (secrets_dir / "slack_signing_secret_previous").write_text(f"{OLD}\n")
    with file_backed_slack(make_slack, secrets_dir) as slack:
        assert _challenge(slack, secret=NEW) == 200
        assert _challenge(slack, secret=OLD) == 200
        (secrets_dir / "slack_signing_secret_previous").unlink()
        secrets_clock.now += TTL
        assert _challenge(slack, secret=OLD) == 401
        assert _challenge(slack, secret=NEW) == 200


def test_forged_or_stale_requests_during_rotation_run_nothing(
    make_slack: SlackFactory, web: LocalSlackWebAPI, secrets_dir: Path, secrets_clock: SecretsClock
) -> None:
    (secrets_dir / "SLACK_SIGNING_SECRET").write_text(f"{NEW},{OLD}")
    with file_backed_slack(make_slack, secrets_dir) as slack:
        command = slash_command("add renew TLS cert", response_url=web.response_url())
        assert slack.post(command, secret="forged-secret-000").status_code == 401
        assert slack.post(command, signed=False).status_code == 401
        stale = int(time.time()) - 6 * 60
        assert _challenge(slack, secret=OLD, timestamp=stale) == 401
        assert _challenge(slack, secret=NEW, timestamp=stale) == 401
        # A forged delivery must not claim the event: the genuine one with its id still runs.
        assert _mention(slack, "file taxes", secret="forged-secret-000", event_id="Ev0SAME") == 401
        slack.drain()
        assert slack.tasks() == []
        assert web.calls == []
        assert _mention(slack, "file taxes", secret=OLD, event_id="Ev0SAME") == 200
        slack.drain()
        [task] = slack.tasks()
        assert "taxes" in task.title


def test_refusals_answer_like_bolt_and_log_no_secret(
    make_slack: SlackFactory,
    secrets_dir: Path,
    secrets_clock: SecretsClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (secrets_dir / "SLACK_SIGNING_SECRET").write_text(f"{NEW},{OLD}")
    with file_backed_slack(make_slack, secrets_dir) as slack, caplog.at_level("DEBUG"):
        body = json.dumps({"token": "x", "challenge": "c", "type": "url_verification"}).encode()
        response = slack.post(body, secret="forged-secret-000")
        assert response.status_code == 401
        assert response.json() == {"error": "invalid request"}
        assert slack.post(body, secret=OLD).status_code == 200
    assert "refused a Slack request" in caplog.text
    for secret in (OLD, NEW):
        assert secret not in caplog.text


def test_an_unreadable_secret_keeps_the_last_good_one_and_never_lets_requests_through(
    make_slack: SlackFactory, secrets_dir: Path, secrets_clock: SecretsClock
) -> None:
    secret_file = secrets_dir / "SLACK_SIGNING_SECRET"
    secret_file.write_text(NEW)
    with file_backed_slack(make_slack, secrets_dir) as slack:
        assert _challenge(slack, secret=NEW) == 200
        # The mount breaks (a directory where the file was): the cached secret keeps serving.
        secret_file.unlink()
        secret_file.mkdir()
        secrets_clock.now += TTL
        assert _challenge(slack, secret=NEW) == 200
        assert _challenge(slack, secret="forged-secret-000") == 401


def test_no_readable_secret_at_all_answers_503_not_200(
    make_slack: SlackFactory, secrets_dir: Path
) -> None:
    (secrets_dir / "SLACK_SIGNING_SECRET").mkdir()
    with file_backed_slack(make_slack, secrets_dir) as slack:
        assert _challenge(slack, secret=SIGNING_SECRET) == 503
        assert _challenge(slack, secret="forged-secret-000") == 503
