"""How the chain is put together at start-up: names, keys, base URLs, budgets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from agent.assembly import build_runtime
from agent.model_chain import UnknownModel
from agent.providers import parse_chain
from agent.turn_log import TurnRecord
from core.settings import Settings
from devtools.scripted_provider import ScriptedProvider, text, tool_calls
from prompts.loader import UnknownPromptVersion
from tests.agent.support import NOW, TEAM, SessionFactory, team_tasks, turn
from tests.providers.support import MODEL, chain_settings, provider_runtime, turn_records


def test_chain_names_are_split_trimmed_and_deduplicated() -> None:
    assert parse_chain(" openai/gpt-4.1-mini, ,anthropic/claude-haiku-4-5,openai/gpt-4.1-mini") == [
        "openai/gpt-4.1-mini",
        "anthropic/claude-haiku-4-5",
    ]


def test_a_link_without_its_key_is_left_out_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        runtime = build_runtime(
            settings=Settings(), model="openai/gpt-4.1-mini,anthropic/claude-haiku-4-5,offline"
        )
    assert runtime.resolved.plan.providers == ()
    assert runtime.model_name == "offline"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "model openai/gpt-4.1-mini left out of the chain: OPENAI_API_KEY is not set",
        "model anthropic/claude-haiku-4-5 left out of the chain: ANTHROPIC_API_KEY is not set",
    ]


def test_a_key_in_the_environment_keeps_the_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    runtime = build_runtime(settings=Settings(), model="openai/gpt-4.1-mini,offline")
    assert runtime.resolved.plan.providers == ("openai/gpt-4.1-mini",)
    assert runtime.model_name == "openai/gpt-4.1-mini,offline"


def test_no_model_left_is_a_clear_start_up_error() -> None:
    with pytest.raises(UnknownModel, match=r"No model can serve turns.*OPENAI_API_KEY is not set"):
        build_runtime(settings=Settings(), model="openai/gpt-4.1-mini")


def test_an_unknown_model_name_is_a_clear_start_up_error() -> None:
    with pytest.raises(UnknownModel, match=r"'gtp-4\.1-mini' is not a model LiteLLM can route"):
        build_runtime(settings=Settings(), model="gtp-4.1-mini,offline")


def test_an_unknown_prompt_version_is_a_clear_start_up_error() -> None:
    with pytest.raises(UnknownPromptVersion, match="There is no prompt task_agent/v99"):
        build_runtime(settings=Settings(), model="offline", prompt_version="v99")


@pytest.mark.parametrize(
    "served_name",
    [
        pytest.param("llama3.1:8b", id="ollama"),
        pytest.param("Qwen/Qwen2.5-7B-Instruct", id="vllm"),
        pytest.param("local-model", id="llama.cpp"),
    ],
)
def test_a_local_openai_compatible_server_gets_the_name_and_key_as_configured(
    provider: ScriptedProvider, sessions: SessionFactory, served_name: str
) -> None:
    provider.push(tool_calls(("create_task", {"title": "Water the plants"})))
    runtime = provider_runtime(
        provider, chain=f"{served_name},offline", TASKPILOT_LLM_API_KEY="local-secret"
    )
    result = turn(sessions, runtime, "add a task to water the plants")

    [request] = provider.requests
    assert request.model == served_name
    assert request.headers["authorization"] == "Bearer local-secret"
    assert result.model == served_name and not result.degraded
    assert [t.title for t in team_tasks(sessions)] == ["Water the plants"]
    # Local models have no price: the tokens are kept, the cost is unknown.
    assert result.usage.provider_tokens > 0 and result.usage.cost_usd is None


def test_the_prompt_version_and_model_are_recorded_with_every_turn(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(text("Hello!"), text("Hello again!"))
    for version in ("v1", "v2"):
        runtime = build_runtime(
            settings=chain_settings(provider), model=MODEL, prompt_version=version
        )
        result = turn(sessions, runtime, "hi")
        assert (result.model, result.prompt_version) == (MODEL, version)
    assert [(r.model, r.prompt_version) for r in turn_records(sessions)] == [
        (MODEL, "v1"),
        (MODEL, "v2"),
    ]


def _spent(sessions: SessionFactory, *, user: str, tokens: int, at: datetime) -> None:
    with sessions() as session, session.begin():
        session.add(
            TurnRecord(
                team_id=TEAM,
                user_id=user,
                conversation_id="earlier",
                created_at=at,
                model=MODEL,
                chain=MODEL,
                prompt_version="v2",
                provider_tokens=tokens,
            )
        )


def test_over_the_daily_user_budget_the_offline_model_answers(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    today = NOW.astimezone(UTC)
    _spent(sessions, user="U0001", tokens=5_000, at=today)
    _spent(sessions, user="U0001", tokens=90_000, at=today - timedelta(days=1))  # Yesterday's.
    runtime = provider_runtime(provider, TASKPILOT_DAILY_TOKENS_PER_USER=5_000)

    result = turn(sessions, runtime, "add a task to renew the TLS certificate")
    assert provider.requests == []
    assert result.degraded and result.degraded_reason == "budget_user"
    assert "your AI budget for today is used up" in result.reply
    assert len(team_tasks(sessions)) == 1

    # Someone else on the team still has room.
    provider.push(tool_calls(("create_task", {"title": "Order toner"})))
    other = turn(sessions, runtime, "order toner", actor="U0002")
    assert other.model == MODEL and not other.degraded


def test_over_the_team_budget_without_offline_nothing_runs(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    _spent(sessions, user="U0003", tokens=50_000, at=NOW.astimezone(UTC))
    runtime = provider_runtime(provider, chain=MODEL, TASKPILOT_DAILY_TOKENS_PER_TEAM=50_000)
    result = turn(sessions, runtime, "add a task to call mom")
    assert result.reply.startswith("Your team's AI budget for today is used up")
    assert provider.requests == [] and team_tasks(sessions) == []


def test_a_turn_over_its_token_limit_stops_with_a_sentence(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(
        tool_calls(("list_tasks", {})), tool_calls(("list_tasks", {})), text("never sent")
    )
    runtime = provider_runtime(provider, chain=MODEL, TASKPILOT_TURN_MAX_TOKENS=200)
    result = turn(sessions, runtime, "what's open?")
    assert result.reply == (
        "That took more steps than I allow for one message. Try asking for one thing at a time."
    )
    [record] = turn_records(sessions)
    assert record.outcome == "limit"
    # What the provider billed before the limit still counts against the budgets.
    assert record.provider_tokens > 200 and record.model_calls == 1
