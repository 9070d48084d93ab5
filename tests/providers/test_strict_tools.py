"""Strict function calling on the Chat Completions wire: what the provider chain sends.

The requests go through the real path (LiteLLM router -> OpenAI SDK -> HTTP) to the scripted
server on 127.0.0.1, which records each JSON body as it arrived.
"""

from __future__ import annotations

from typing import Any, cast

from devtools.scripted_provider import ScriptedProvider, text, tool_calls
from tests.agent.support import SessionFactory, team_tasks, turn
from tests.providers.support import provider_runtime
from tests.tools.strict_rules import accepts_null, strict_problems
from tools.task_tools import TASK_TOOLS


def _sent_tools(provider: ScriptedProvider) -> list[dict[str, Any]]:
    [request] = provider.requests
    tools = cast("list[dict[str, Any]]", request.body["tools"])
    return [cast("dict[str, Any]", tool["function"]) for tool in tools]


def test_every_tool_goes_out_strict_with_a_schema_strict_mode_accepts(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(text("Hi!"))
    turn(sessions, provider_runtime(provider), "hi")

    functions = _sent_tools(provider)
    assert [f["name"] for f in functions] == [tool.name for tool in TASK_TOOLS]
    for function in functions:
        assert function["strict"] is True, function["name"]
        assert strict_problems(function["parameters"]) == [], function["name"]


def test_the_optional_arguments_go_out_nullable(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    provider.push(text("Hi!"))
    turn(sessions, provider_runtime(provider), "hi")

    create = next(f for f in _sent_tools(provider) if f["name"] == "create_task")
    properties = create["parameters"]["properties"]
    assert create["parameters"]["required"] == list(properties)
    assert not accepts_null(properties["title"])
    assert all(accepts_null(properties[name]) for name in properties if name != "title")


def test_a_strict_models_null_arguments_create_only_what_was_said(
    provider: ScriptedProvider, sessions: SessionFactory
) -> None:
    # A model held to the strict schema names every argument, null for those the person did
    # not give: the task gets its title and nothing invented.
    unsaid = ("description", "assignee", "due", "priority", "tags")
    args: dict[str, object] = {"title": "Renew the TLS certificate", **dict.fromkeys(unsaid)}
    provider.push(tool_calls(("create_task", args)))
    result = turn(sessions, provider_runtime(provider), "renew the TLS certificate")

    [task] = team_tasks(sessions)
    assert (task.title, task.assignee_id, task.due_at, task.priority, task.tags) == (
        "Renew the TLS certificate",
        None,
        None,
        "normal",
        [],
    )
    assert result.reply == "Created #1 “Renew the TLS certificate”."
