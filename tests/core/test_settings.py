"""Settings come from the environment and `.env`, only when asked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import Settings


def test_defaults_serve_a_laptop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "TASKPILOT_MODELS", "TASKPILOT_PROMPT_VERSION"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///./var/taskpilot.db"
    assert settings.model_chain == ["offline"]
    assert settings.prompt_version == "v3"


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TASKPILOT_PROMPT_VERSION=v7\nLOG_LEVEL=debug\n")
    monkeypatch.setenv("TASKPILOT_MODELS", "openai/gpt-4.1-mini, offline ,")
    settings = Settings()
    assert settings.prompt_version == "v7"
    assert settings.log_level == "DEBUG"
    assert settings.model_chain == ["openai/gpt-4.1-mini", "offline"]


def test_timezone_setting_wins_over_the_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TASKPILOT_TIMEZONE", "Asia/Tokyo")
    assert Settings().effective_timezone() == "Asia/Tokyo"


def test_dotenv_entries_reach_the_environment_without_overriding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskpilot.cli import export_dotenv

    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-from-dotenv\nLOG_LEVEL=DEBUG\n")
    monkeypatch.chdir(tmp_path)
    # Set, then unset: monkeypatch restores the original value, whatever export_dotenv writes.
    monkeypatch.setenv("OPENAI_API_KEY", "placeholder")
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    export_dotenv()
    # LiteLLM reads provider keys from the environment only, so `.env` keys must land there.
    assert os.environ["OPENAI_API_KEY"] == "sk-from-dotenv"
    assert os.environ["LOG_LEVEL"] == "WARNING"


def test_the_settings_repr_hides_credentials_in_urls() -> None:
    settings = Settings.model_validate(
        {
            "DATABASE_URL": "postgresql://app:hunter22@db.internal:5432/taskpilot",
            "REDIS_URL": "redis://:pw999@cache:6379/0",
            "SENTRY_DSN": "https://abc123publickey@o1.ingest.example.io/5",
        }
    )
    shown = repr(settings)
    for secret in ("hunter22", "pw999", "abc123publickey"):
        assert secret not in shown
    assert "postgresql://***@db.internal:5432/taskpilot" in shown
    # The values themselves are untouched.
    assert settings.database_url.endswith("app:hunter22@db.internal:5432/taskpilot")
