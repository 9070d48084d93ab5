"""`taskpilot chat --once` against the scripted Chat Completions server, as a separate process.

The chain is configured the way a team configures OpenAI, through the variables LiteLLM reads
(`OPENAI_API_KEY`, `OPENAI_BASE_URL`), except that the base URL is the local scripted server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.scripted_provider import ScriptedProvider, server_error, tool_calls

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("taskpilot")


def _env(tmp_path: Path, provider: ScriptedProvider) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TASKPILOT_", "OPENAI_"))}
    return {
        **keep,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'taskpilot.db'}",
        "TASKPILOT_TIMEZONE": "America/New_York",
        "TASKPILOT_MODELS": "openai/gpt-4.1-mini,offline",
        "TASKPILOT_LLM_RETRIES": "1",
        "OPENAI_API_KEY": "sk-test-not-real",
        "OPENAI_BASE_URL": provider.base_url,
        "LOG_FORMAT": "json",
    }


def _chat(env: dict[str, str], text: str, cwd: Path) -> dict[str, object]:
    subprocess.run([SCRIPT, "db", "upgrade"], check=True, env=env, cwd=cwd, capture_output=True)
    done = subprocess.run(
        [SCRIPT, "chat", "--once", text, "--json"],
        env=env, cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def test_chat_once_creates_the_task_through_a_real_http_tool_call(
    provider: ScriptedProvider, tmp_path: Path
) -> None:
    provider.push(tool_calls(("create_task", {"title": "Renew the TLS certificate"})))
    turn = _chat(_env(tmp_path, provider), "add a task to renew the TLS certificate", tmp_path)

    assert turn["model"] == "openai/gpt-4.1-mini"
    assert turn["tool_calls"] == [
        {"tool": "create_task", "args": {"title": "Renew the TLS certificate"}, "ok": True}
    ]
    assert turn["reply"] == "Created #1 “Renew the TLS certificate”."
    [request] = provider.requests
    assert request.headers["authorization"] == "Bearer sk-test-not-real"


def test_chat_once_still_answers_through_the_offline_model_when_the_provider_fails(
    provider: ScriptedProvider, tmp_path: Path
) -> None:
    provider.push(server_error(), server_error())
    turn = _chat(_env(tmp_path, provider), "add a task to renew the TLS certificate", tmp_path)

    assert turn["model"] == "offline"
    assert str(turn["reply"]).endswith(
        "_Answered by TaskPilot's offline parser: the AI model providers are not answering "
        "right now._"
    )
    assert [(c["tool"], c["ok"]) for c in turn["tool_calls"]] == [("create_task", True)]  # type: ignore[index, union-attr]
    assert len(provider.requests) == 2
