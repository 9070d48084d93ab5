"""The tool definitions the model receives: compact schemas, computed once per tool, and the
strict shape the OpenAI wire format gets."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic_ai import Agent, RunContext, Tool
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.tools import ToolDefinition
from pydantic_ai.usage import RunUsage

from agent.agent_deps import AgentDeps
from tests.agent.support import SessionFactory, make_deps
from tests.tools.strict_rules import accepts_null, strict_problems
from tools.schema import StrictToolSchema, compact_definition, strict_parameters
from tools.task_tools import TASK_TOOLS
from tools.tool_deps import ToolDeps

# What the model received before the schemas were computed once (they were compacted by a
# `prepare=` hook on every step then); the fields a provider request is built from.
SNAPSHOT = Path(__file__).parent / "snapshots" / "model_tool_definitions.json"
_SENT_FIELDS = ("name", "description", "parameters_json_schema", "strict", "sequential", "kind")


def _sent(definition: ToolDefinition) -> dict[str, Any]:
    fields = asdict(definition)
    return {name: fields[name] for name in _SENT_FIELDS}


def _seen_by_the_model(sessions: SessionFactory) -> list[ToolDefinition]:
    seen: list[AgentInfo] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del messages
        seen.append(info)
        return ModelResponse(parts=[TextPart("hello")])

    agent = Agent(FunctionModel(respond), deps_type=AgentDeps, tools=TASK_TOOLS)
    asyncio.run(agent.run("hi", deps=make_deps(sessions)))
    assert len(seen) == 1
    return seen[0].function_tools


def test_the_model_receives_the_same_tool_definitions_as_before(sessions: SessionFactory) -> None:
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert [_sent(tool) for tool in _seen_by_the_model(sessions)] == expected


def test_each_tool_carries_what_the_per_step_hook_computed(sessions: SessionFactory) -> None:
    ctx = RunContext[ToolDeps](deps=make_deps(sessions), model=TestModel(), usage=RunUsage())
    for tool in TASK_TOOLS:
        plain = Tool(tool.function, sequential=True)
        hooked = asyncio.run(compact_definition(ctx, plain.tool_def))
        assert tool.tool_def == hooked, tool.name


def test_no_tool_recomputes_its_schema_on_every_step() -> None:
    assert all(tool.prepare is None for tool in TASK_TOOLS)


def test_arguments_are_still_validated_against_the_full_signature() -> None:
    update = next(tool for tool in TASK_TOOLS if tool.name == "update_task")
    # The model is told a task id is a number, yet "#7" (a string) still validates.
    validated = update.function_schema.validator.validate_python({"task_id": "#7"})
    assert validated["task_id"] == "#7"


# --- strict mode --------------------------------------------------------------------------


def _strict(tool: Tool[ToolDeps]) -> dict[str, Any]:
    transformer = StrictToolSchema(tool.tool_def.parameters_json_schema)
    schema = transformer.walk()
    assert transformer.is_strict_compatible, tool.name
    return schema


def test_every_tool_has_a_strict_schema_that_openai_accepts() -> None:
    for tool in TASK_TOOLS:
        assert strict_problems(_strict(tool)) == [], tool.name


def test_strict_schemas_keep_the_arguments_and_make_the_optional_ones_nullable() -> None:
    for tool in TASK_TOOLS:
        compact = tool.tool_def.parameters_json_schema
        strict = _strict(tool)
        assert list(strict["properties"]) == list(compact["properties"]), tool.name
        required = set(compact.get("required", []))
        for name, schema in strict["properties"].items():
            # An argument the person may leave out is sent as null; a required one never is.
            assert accepts_null(schema) == (name not in required), (tool.name, name)


def test_a_default_is_told_in_words() -> None:
    listing = next(tool for tool in TASK_TOOLS if tool.name == "list_tasks")
    limit = _strict(listing)["properties"]["limit"]
    assert "default" not in limit
    assert limit["description"] == "At most this many (1-100); default 20."


def test_strict_schemas_leave_the_compact_ones_alone() -> None:
    before = [json.dumps(tool.tool_def.parameters_json_schema) for tool in TASK_TOOLS]
    for tool in TASK_TOOLS:
        strict_parameters(tool.tool_def.parameters_json_schema)
        _strict(tool)
    assert [json.dumps(tool.tool_def.parameters_json_schema) for tool in TASK_TOOLS] == before


def test_a_tool_that_opts_out_of_strict_keeps_its_schema() -> None:
    compact = TASK_TOOLS[0].tool_def.parameters_json_schema
    transformer = StrictToolSchema(compact, strict=False)
    schema = transformer.walk()
    assert schema["required"] == ["title"]
    assert schema["properties"]["due"]["type"] == "string"
