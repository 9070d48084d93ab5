"""Fixtures for the provider path: a scripted Chat Completions server on 127.0.0.1.

These tests send real HTTP requests, through LiteLLM's router and the OpenAI SDK, to
`devtools.scripted_provider.ScriptedProvider`, a local server that answers from a script. No
real provider is ever called: every chain here points at the local server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pydantic_ai.models
import pytest

from devtools.scripted_provider import ScriptedProvider
from tests.agent.support import SessionFactory, team_database

# Real HTTP is allowed only inside `allow_local_requests`, against the local server.
pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

# Keys of real providers must never reach these tests.
_PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE")


@pytest.fixture(autouse=True)
def _no_real_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    for key in _PROVIDER_KEYS:
        monkeypatch.delenv(key, raising=False)
    with pydantic_ai.models.override_allow_model_requests(True):
        yield


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    with ScriptedProvider() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        yield server


@pytest.fixture
def sessions() -> Iterator[SessionFactory]:
    yield from team_database()
