"""Provider keys come from the secrets backend and are picked up after rotation, no restart.

The keys live in files, as Docker and Kubernetes mount secrets; the scripted server records the
`Authorization` header of each Chat Completions request, so the tests see which key was sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.assembly import build_runtime
from core.settings import Settings
from devtools.scripted_provider import ScriptedProvider, text
from tests.agent.support import SessionFactory, turn
from tests.conftest import SecretsClock
from tests.providers.support import MODEL, chain_settings

TTL = 60.0


def _file_backend(directory: Path) -> dict[str, object]:
    return {
        "TASKPILOT_SECRETS_BACKEND": "file",
        "TASKPILOT_SECRETS_DIR": str(directory),
        "TASKPILOT_SECRETS_TTL_SECONDS": TTL,
    }


def _keys_sent(provider: ScriptedProvider) -> list[str]:
    return [request.headers["authorization"] for request in provider.requests]


def test_a_rotated_key_of_a_local_server_is_used_after_the_cache_expires(
    provider: ScriptedProvider,
    sessions: SessionFactory,
    tmp_path: Path,
    secrets_clock: SecretsClock,
) -> None:
    (tmp_path / "TASKPILOT_LLM_API_KEY").write_text("key-one\n")
    runtime = build_runtime(
        settings=chain_settings(provider, **_file_backend(tmp_path)), model=f"{MODEL},offline"
    )
    provider.push(text("one"), text("two"), text("three"))

    turn(sessions, runtime, "hi")
    (tmp_path / "TASKPILOT_LLM_API_KEY").write_text("key-two\n")
    secrets_clock.now += TTL / 2
    turn(sessions, runtime, "hi again")
    secrets_clock.now += TTL
    result = turn(sessions, runtime, "and again")

    assert _keys_sent(provider) == ["Bearer key-one", "Bearer key-one", "Bearer key-two"]
    assert result.reply == "three" and not result.degraded


def test_an_openai_key_mounted_as_a_file_keeps_the_link_and_rotates(
    provider: ScriptedProvider,
    sessions: SessionFactory,
    tmp_path: Path,
    secrets_clock: SecretsClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No OPENAI_API_KEY in the environment: only the mounted file holds it.
    monkeypatch.setenv("OPENAI_BASE_URL", provider.base_url)
    (tmp_path / "openai_api_key").write_text("sk-file-one")
    settings = Settings.model_validate({**_file_backend(tmp_path), "TASKPILOT_LLM_RETRIES": 0})
    runtime = build_runtime(settings=settings, model=f"{MODEL},offline")
    assert runtime.resolved.plan.providers == (MODEL,)
    provider.push(text("one"), text("two"))

    turn(sessions, runtime, "hi")
    (tmp_path / "openai_api_key").write_text("sk-file-two")
    secrets_clock.now += TTL + 1
    turn(sessions, runtime, "hi again")

    assert _keys_sent(provider) == ["Bearer sk-file-one", "Bearer sk-file-two"]


def test_a_link_whose_key_is_in_no_backend_is_still_left_out(tmp_path: Path) -> None:
    runtime = build_runtime(
        settings=Settings.model_validate(_file_backend(tmp_path)), model=f"{MODEL},offline"
    )
    assert runtime.resolved.plan.providers == ()
    assert runtime.model_name == "offline"


def test_the_rotation_is_logged_by_name_never_by_value(
    provider: ScriptedProvider,
    sessions: SessionFactory,
    tmp_path: Path,
    secrets_clock: SecretsClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "TASKPILOT_LLM_API_KEY").write_text("key-one")
    runtime = build_runtime(
        settings=chain_settings(provider, **_file_backend(tmp_path)), model=f"{MODEL},offline"
    )
    provider.push(text("one"), text("two"))
    turn(sessions, runtime, "hi")
    (tmp_path / "TASKPILOT_LLM_API_KEY").write_text("key-two")
    secrets_clock.now += TTL + 1
    with caplog.at_level("INFO", logger="agent.provider_keys"):
        turn(sessions, runtime, "hi again")

    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "provider keys rotated (TASKPILOT_LLM_API_KEY); the model router was rebuilt"
    ]
    assert "key-one" not in caplog.text and "key-two" not in caplog.text
