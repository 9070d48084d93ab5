"""`taskpilot slack ...` as an operator uses it: keys, Socket Mode's settings, installations."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from typer.testing import CliRunner

from core.db import make_engine, make_session_factory
from slack_app.install.crypto import TokenCipher, generate_key
from slack_app.install.installation_store import DatabaseInstallationStore
from taskpilot.cli import build_app

CLIENT_ID = "1111.2222"
BOT_TOKEN = "xoxb-kept-secret-1234"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _sqlite_template: Path) -> str:
    """A migrated database and no Slack settings at all; returns the database URL."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name)
    path = tmp_path / "taskpilot.db"
    shutil.copyfile(_sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def save_installation(database_url: str, key: str) -> None:
    engine = make_engine(database_url)
    try:
        DatabaseInstallationStore(
            session_factory=make_session_factory(engine),
            cipher=TokenCipher(key),
            client_id=CLIENT_ID,
        ).save(
            Installation(
                team_id="T0ACME",
                team_name="Acme",
                bot_token=BOT_TOKEN,
                bot_user_id="U0BOT",
                bot_scopes=["chat:write", "commands"],
                user_id="U0ALICE",
            )
        )
    finally:
        engine.dispose()


def test_keygen_prints_a_new_fernet_key(env: str) -> None:
    code, first, _ = run("slack", "keygen")
    assert code == 0
    Fernet(first.strip().encode())
    _, second, _ = run("slack", "keygen")
    assert second.strip() != first.strip()


def test_socket_without_an_app_token_says_to_set_it(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    code, _, err = run("slack", "socket")
    assert code != 0
    assert "SLACK_APP_TOKEN" in err
    assert "xapp-" in err
    assert "Traceback" not in err


def test_socket_without_any_slack_settings_names_each_one(env: str) -> None:
    code, _, err = run("slack", "socket")
    assert code != 0
    assert "SLACK_BOT_TOKEN" in err
    assert "SLACK_APP_TOKEN" in err
    # Nothing over the socket is signed, so the signing secret is not asked for.
    assert "SLACK_SIGNING_SECRET" not in err
    assert "Traceback" not in err


def test_socket_on_an_unmigrated_database_says_what_to_run(
    env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0-1-abc")
    code, _, err = run("slack", "socket")
    assert code != 0
    assert "taskpilot db upgrade" in err
    assert "Traceback" not in err


def test_socket_with_a_malformed_token_key_names_the_setting(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", "not-a-fernet-key")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-A0-1-abc")
    code, _, err = run("slack", "socket")
    assert code != 0
    assert "SLACK_TOKEN_ENCRYPTION_KEY" in err
    assert "not-a-fernet-key" not in err
    assert "Traceback" not in err


def test_installations_lists_teams_without_their_tokens(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    save_installation(env, key)
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", key)
    code, out, _ = run("slack", "installations", "--json")
    assert code == 0
    assert '"team_id": "T0ACME"' in out
    assert '"team_name": "Acme"' in out
    assert BOT_TOKEN not in out
    code, table, _ = run("slack", "installations")
    assert code == 0
    assert "T0ACME" in table
    assert BOT_TOKEN not in table


def test_installations_without_oauth_settings_says_what_to_set(env: str) -> None:
    code, _, err = run("slack", "installations")
    assert code != 0
    assert "SLACK_CLIENT_ID" in err
    assert "Traceback" not in err


def test_installations_with_a_malformed_key_names_the_setting(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", "not-a-fernet-key")
    code, _, err = run("slack", "installations")
    assert code != 0
    assert "SLACK_TOKEN_ENCRYPTION_KEY" in err
    assert "not-a-fernet-key" not in err
    assert "Traceback" not in err


def test_reencrypt_moves_installs_to_the_new_key_so_the_old_one_can_go(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = generate_key(), generate_key()
    save_installation(env, old_key)
    monkeypatch.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "client-secret")
    # Before re-encrypting, dropping the old key makes the installs unreadable, said plainly.
    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", new_key)
    code, _, err = run("slack", "installations")
    assert code != 0
    assert "could not be decrypted" in err

    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", f"{new_key},{old_key}")
    code, out, _ = run("slack", "reencrypt")
    assert code == 0
    assert "Re-encrypted 1 installation " in out

    monkeypatch.setenv("SLACK_TOKEN_ENCRYPTION_KEY", new_key)
    code, out, _ = run("slack", "installations", "--json")
    assert code == 0
    assert "T0ACME" in out


def test_worker_without_redis_or_slack_settings_names_each_one(env: str) -> None:
    code, _, err = run("slack", "worker")
    assert code != 0
    assert "REDIS_URL" in err
    assert "SLACK_BOT_TOKEN" in err
    # A worker takes no requests from Slack, so the signing secret is not asked for.
    assert "SLACK_SIGNING_SECRET" not in err
    assert "Traceback" not in err


def test_worker_on_a_taken_port_says_which_setting_to_change(
    env: str, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setenv("REDIS_URL", redis_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("TASKPILOT_HOST", "127.0.0.1")
        monkeypatch.setenv("TASKPILOT_PORT", str(taken.getsockname()[1]))
        code, _, err = run("slack", "worker")
    assert code != 0
    assert "TASKPILOT_PORT" in err
    assert "Traceback" not in err
