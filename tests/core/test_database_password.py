"""The database password comes from the secrets backend and rotates without a restart.

The test server trusts local connections and so accepts any password; the tests therefore
look at the password each new connection hands to the driver, and check that connecting works.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text

from core.db import database_engine
from core.settings import Settings
from tests.conftest import PostgresServer, SecretsClock

pytestmark = pytest.mark.postgres

TTL = 30.0


def _passwords_sent(engine: Engine) -> list[object]:
    sent: list[object] = []

    # Registered after the engine's own listener, so it sees the parameters that one set.
    @event.listens_for(engine, "do_connect")
    def _record(  # pyright: ignore[reportUnusedFunction]
        _dialect: object, _record: object, _args: object, params: dict[str, object]
    ) -> None:
        sent.append(params.get("password"))

    return sent


def _new_connection(engine: Engine) -> None:
    engine.dispose()  # Only new connections ask for the password.
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1


def test_a_rotated_password_file_is_used_for_new_connections(
    postgres_server: PostgresServer, tmp_path: Path, secrets_clock: SecretsClock
) -> None:
    (tmp_path / "DATABASE_PASSWORD").write_text("first-password\n")
    url = postgres_server.url.set(password="in-the-url").render_as_string(hide_password=False)
    settings = Settings.model_validate(
        {
            "DATABASE_URL": url,
            "TASKPILOT_SECRETS_BACKEND": "file",
            "TASKPILOT_SECRETS_DIR": str(tmp_path),
            "TASKPILOT_SECRETS_TTL_SECONDS": TTL,
        }
    )
    engine = database_engine(settings)
    sent = _passwords_sent(engine)
    try:
        _new_connection(engine)
        (tmp_path / "DATABASE_PASSWORD").write_text("second-password\n")
        _new_connection(engine)  # Still cached.
        secrets_clock.now += TTL + 1
        _new_connection(engine)
    finally:
        engine.dispose()

    assert sent == ["first-password", "first-password", "second-password"]


def test_without_a_password_secret_the_urls_own_password_is_used(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_PASSWORD", raising=False)
    monkeypatch.chdir(tmp_path)  # No .env here.
    url = postgres_server.url.set(password="in-the-url").render_as_string(hide_password=False)
    engine = database_engine(Settings.model_validate({"DATABASE_URL": url}))
    sent = _passwords_sent(engine)
    try:
        _new_connection(engine)
    finally:
        engine.dispose()

    assert sent == ["in-the-url"]


def test_the_password_from_the_environment_overrides_the_url(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_PASSWORD", "from-the-environment")
    monkeypatch.chdir(tmp_path)
    url = postgres_server.url.render_as_string(hide_password=False)
    engine = database_engine(Settings.model_validate({"DATABASE_URL": url}))
    sent = _passwords_sent(engine)
    try:
        _new_connection(engine)
    finally:
        engine.dispose()

    assert sent == ["from-the-environment"]
