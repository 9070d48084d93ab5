"""Tool definitions as the model reads them: the same arguments, fewer tokens.

pydantic writes an optional argument as `anyOf: [{type: X}, {type: null}]` with `default: null`
and a `title`; the model needs none of that, since an argument it leaves out is the same as
null. Every model call carries all five schemas, so what is cut here is cut from every call.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from pydantic_ai import RunContext
from pydantic_ai.tools import ToolDefinition

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


async def compact_definition(ctx: RunContext[ToolDeps], tool_def: ToolDefinition) -> ToolDefinition:
    """`Tool(prepare=...)` hook: the compact schema of the tool, for every model call."""
    del ctx
    schema = _task_id_as_number(compact_schema(tool_def.parameters_json_schema))
    return replace(tool_def, parameters_json_schema=schema)
