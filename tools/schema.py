"""Tool definitions as the model reads them: the same arguments, fewer tokens.

pydantic writes an optional argument as `anyOf: [{type: X}, {type: null}]` with `default: null`
and a `title`; the model needs none of that, since an argument it leaves out is the same as
null. Every model call carries all five schemas, so what is cut here is cut from every call.
The compact schema is computed once, when a tool is built (`compact_tool`), not on every step.

OpenAI's strict function calling needs another shape: every property listed in `required`,
the optional ones nullable, no defaults, `additionalProperties: false`. `strict_parameters`
derives it from the compact schema (an argument that is not required there becomes nullable,
and null still means "not given"), and `StrictToolSchema` hands it to pydantic-ai's OpenAI
schema transformer with `strict=True`, so that the provider model sends every tool with
`"strict": true` (`agent.providers.build_provider_model` sets it in that model's profile).
Other models (the offline one, tests' function models) keep reading the compact schema.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, cast

from pydantic_ai import RunContext, Tool
from pydantic_ai.profiles.openai import OpenAIJsonSchemaTransformer
from pydantic_ai.tools import ToolDefinition, ToolFuncContext

from tools.tool_deps import ToolDeps

Schema = dict[str, Any]

_NULL: Schema = {"type": "null"}


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


def strict_parameters(schema: Schema) -> Schema:
    """A compact parameters schema in the shape of OpenAI's strict mode.

    Every object lists all its properties in `required` and allows no others; a property the
    compact schema did not require accepts null (which the tools read as "not given"); a
    default moves into the description. Nested objects, array items and `anyOf` branches get
    the same treatment.
    """
    out = {key: value for key, value in schema.items() if key != "default"}
    default = schema.get("default")
    if default is not None:
        described = str(out.get("description", "")).rstrip(". ")
        note = f"default {json.dumps(default)}"
        out["description"] = f"{described}; {note}." if described else f"{note.capitalize()}."
    if out.get("type") == "object":
        properties = cast("dict[str, Schema]", out.get("properties", {}))
        required = set(cast("list[str]", out.get("required", [])))
        out["properties"] = {
            name: strict_parameters(sub) if name in required else _nullable(strict_parameters(sub))
            for name, sub in properties.items()
        }
        out["required"] = list(properties)
        out["additionalProperties"] = False
    items = out.get("items")
    if isinstance(items, dict):
        out["items"] = strict_parameters(cast("Schema", items))
    branches = out.get("anyOf")
    if isinstance(branches, list):
        out["anyOf"] = [strict_parameters(branch) for branch in cast("list[Schema]", branches)]
    return out


def _accepts_null(schema: Schema) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_accepts_null(branch) for branch in cast("list[Schema]", schema.get("anyOf", [])))


def _nullable(schema: Schema) -> Schema:
    """`schema`, also accepting null: `type: [X, "null"]` for a plain type, else an `anyOf`
    branch (an enum would otherwise have to list null among its values)."""
    if _accepts_null(schema):
        return schema
    kind = schema.get("type")
    if isinstance(kind, str) and "enum" not in schema and "const" not in schema:
        return schema | {"type": [kind, "null"]}
    if "anyOf" in schema:
        return schema | {"anyOf": [*cast("list[Schema]", schema["anyOf"]), _NULL]}
    described = {key: schema[key] for key in ("description",) if key in schema}
    inner = {key: value for key, value in schema.items() if key not in described}
    return {"anyOf": [inner, _NULL], **described}


class StrictToolSchema(OpenAIJsonSchemaTransformer):
    """pydantic-ai's OpenAI schema transformer, given a tool's schema in the strict shape.

    As a model profile's `json_schema_transformer`, it makes every tool go out with
    `"strict": true` and a schema that strict mode accepts; a tool built with `strict=False`
    keeps its schema and goes out without it.
    """

    def __init__(self, schema: Schema, *, strict: bool | None = None) -> None:
        if strict is not False:
            schema, strict = strict_parameters(schema), True
        super().__init__(schema, strict=strict)
