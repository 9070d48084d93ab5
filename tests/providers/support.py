"""Helpers for tests that run turns through the provider chain against the scripted server."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import select

from agent.assembly import AgentRuntime, build_runtime
from agent.turn_log import TurnRecord
from core.settings import Settings
from devtools.scripted_provider import RecordedRequest, Reply, ScriptedProvider
from tests.agent.support import SessionFactory

MODEL = "openai/gpt-4.1-mini"


def chain_settings(provider: ScriptedProvider, **overrides: Any) -> Settings:
    """Settings that send every provider link to the scripted server, with quick retries."""
    values: dict[str, Any] = {
        "TASKPILOT_LLM_BASE_URL": provider.base_url,
        "TASKPILOT_LLM_RETRIES": 1,
        "TASKPILOT_LLM_TIMEOUT": 5,
        "TASKPILOT_LLM_COOLDOWN": 60,
        "TASKPILOT_LLM_ALLOWED_FAILS": 1,
    }
    values.update(overrides)
    return Settings.model_validate(values)


def provider_runtime(
    provider: ScriptedProvider, chain: str = f"{MODEL},offline", **overrides: Any
) -> AgentRuntime:
    return build_runtime(settings=chain_settings(provider, **overrides), model=chain)


class PerModel:
    """A responder that answers each model name from its own script."""

    def __init__(self, scripts: Mapping[str, Sequence[Reply]], default: Reply | None = None):
        self._scripts = {name: deque(replies) for name, replies in scripts.items()}
        self._default = default

    def __call__(self, request: RecordedRequest) -> Reply:
        queue = self._scripts.get(request.model)
        if queue:
            return queue.popleft()
        if self._default is None:
            raise AssertionError(f"unscripted request for {request.model}")
        return self._default


def tool_messages(request: RecordedRequest) -> list[str]:
    """The contents of the `tool` messages a request carried back to the model."""
    return [str(m.get("content")) for m in request.messages if m.get("role") == "tool"]


def turn_records(sessions: SessionFactory) -> list[TurnRecord]:
    with sessions() as session:
        return list(session.exec(select(TurnRecord).order_by(TurnRecord.id)).all())  # pyright: ignore[reportArgumentType]
