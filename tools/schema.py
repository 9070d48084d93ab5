"""Tool definitions as the model reads them: the same arguments, fewer tokens.

pydantic writes an optional argument as `anyOf: [{type: X}, {type: null}]` with `default: null`
and a `title`; the model needs none of that, since an argument it leaves out is the same as
null. Every model call carries all five schemas, so what is cut here is cut from every call.
The compact schema is computed once, when a tool is built (`compact_tool`), not on every step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from pydantic_ai import RunContext, Tool
from pydantic_ai.tools import ToolDefinition, ToolFuncContext

from tools.deps import ToolDeps

Schema = dict[str, Any]


def compact_schema(schema: Schema) -> Schema:
    """The schema without titles, null defaults and null branches, recursively."""
    out: Schema = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties" and isinstance(value, dict):
            properties = cast("dict[str, Schema]", value)
            out[key] = {name: compact_schema(sub) for name, sub in properties.items()}
        elif key in {"items", "additionalProperties"} and isinstance(value, dict):
            out[key] = compact_schema(cast("Schema", value))
        elif key == "anyOf" and isinstance(value, list):
            branches = [
                compact_schema(branch)
                for branch in cast("list[Schema]", value)
                if branch.get("type") != "null"
            ]
            if len(branches) == 1:
                out.update(branches[0])
            else:
                out[key] = branches
        else:
            out[key] = value
    return out


def _task_id_as_number(schema: Schema) -> Schema:
    # The tools also accept "7" and "#7" (see `_task_number`), but the model is told the plain
    # truth: a task id is a number, never a title.
    properties = cast("dict[str, Schema]", schema.get("properties", {}))
    task_id = properties.get("task_id")
    if task_id is not None:
        properties["task_id"] = {key: value for key, value in task_id.items() if key != "anyOf"} | {
            "type": "integer"
        }
    return schema


def compact_parameters(schema: Schema) -> Schema:
    """A tool's parameters schema as the model reads it: compact, with task ids as numbers."""
    return _task_id_as_number(compact_schema(schema))


async def compact_definition(ctx: RunContext[ToolDeps], tool_def: ToolDefinition) -> ToolDefinition:
    """`Tool(prepare=...)` hook: the compact schema of the tool, computed on every step.

    The task tools use `compact_tool` instead, which computes the same schema once; this stays
    for tools built elsewhere and as the reference the tests compare `compact_tool` with.
    """
    del ctx
    return replace(
        tool_def, parameters_json_schema=compact_parameters(tool_def.parameters_json_schema)
    )


def compact_tool(function: ToolFuncContext[ToolDeps, ...], *, sequential: bool) -> Tool[ToolDeps]:
    """A tool whose definition carries the compact schema, computed once here.

    Arguments are still validated against the full signature (pydantic's validator of the
    function); only the schema the model reads is compact.
    """
    tool = Tool(function, sequential=sequential)
    tool.function_schema = replace(
        tool.function_schema,
        json_schema=compact_parameters(tool.function_schema.json_schema),
    )
    return tool
