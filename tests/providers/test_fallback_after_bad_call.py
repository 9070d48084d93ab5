"""The offline model takes over mid-turn, after the provider's own tool calls (drill bug 7).

`bench/drills/provider_chaos.py` found turns where the provider sent `create_task` with
arguments that are not JSON, pydantic-ai asked it again, that request failed and the offline
model took over: it read the retry prompt for the provider's call and told the person
"I couldn't create that task: [{'type': 'json_invalid', ...". Nothing had been written, so the
offline model should simply answer the person's message. When the provider's write did
succeed before the failure, the offline model must not write a second time.
"""

from __future__ import annotations

from devtools.scripted_provider import ScriptedProvider, server_error, tool_calls
from tests.agent.support import SessionFactory, seed, team_tasks, turn
from tests.providers.support import provider_runtime

CHAIN = "openai/gpt-4.1-mini,offline"
# With `TASKPILOT_LLM_RETRIES=1` the router makes two attempts before it gives up.
GIVE_UP = (server_error(), server_error())


def test_after_a_malformed_call_and_a_failed_retry_the_offline_model_creates_the_task(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(tool_calls(("create_task", '{"title": "Water the plants"')), *GIVE_UP)
    runtime = provider_runtime(provider, chain=CHAIN)

    result = turn(sessions, runtime, "add a task to water the plants")

    assert [t.title.lower() for t in team_tasks(sessions)] == ["water the plants"]
    assert result.degraded and result.model == "offline"
    assert result.reply.startswith("Created #1 "), result.reply
    assert "json_invalid" not in result.reply and "couldn't" not in result.reply
    # The provider's malformed call is not reported as a failure the person must act on.
    assert [(c.tool, c.ok) for c in result.tool_calls if not c.retried] == [("create_task", True)]
    assert len(provider.requests) == 3


def test_the_offline_model_runs_its_whole_plan_after_the_providers_bad_call(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    # The offline model looks the task up by its words first, then updates it: two steps, each
    # answered from the trimmed history.
    seed(sessions, number=1, title="Water the plants")
    provider.push(tool_calls(("update_task", '{"task_id": 1, "status": "do')), *GIVE_UP)
    runtime = provider_runtime(provider, chain=CHAIN)

    result = turn(sessions, runtime, "mark the plants task as done")

    [task] = team_tasks(sessions)
    assert task.status == "done"
    assert result.degraded and result.model == "offline"
    assert "json_invalid" not in result.reply, result.reply
    assert [c.tool for c in result.tool_calls if not c.retried] == ["list_tasks", "update_task"]


def test_a_write_that_succeeded_before_the_providers_failed_is_not_made_again(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    # The create works; the list beside it sends the results back to the provider, which fails.
    provider.push(
        tool_calls(("create_task", {"title": "Water the plants"}), ("list_tasks", {})), *GIVE_UP
    )
    runtime = provider_runtime(provider, chain=CHAIN)

    result = turn(sessions, runtime, "add a task to water the plants")

    assert [t.title for t in team_tasks(sessions)] == ["Water the plants"]
    assert result.degraded and result.model == "offline"
    assert [c.tool for c in result.tool_calls] == ["create_task", "list_tasks"]
    assert "Created #1" in result.reply, result.reply


def test_a_write_beside_a_malformed_call_is_not_made_again_by_the_offline_model(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(
        tool_calls(
            ("create_task", {"title": "Water the plants"}),
            ("create_task", '{"title": "Feed the cat"'),
        ),
        *GIVE_UP,
    )
    runtime = provider_runtime(provider, chain=CHAIN)

    result = turn(sessions, runtime, "add tasks to water the plants and to feed the cat")

    assert [t.title for t in team_tasks(sessions)] == ["Water the plants"]
    assert result.degraded and result.model == "offline"
    assert "Created #1" in result.reply, result.reply
