"""OpenAI's rules for a strict function schema, checked the way its API checks a request.

From OpenAI's structured-outputs guide ("Supported schemas"): the root is an object, not an
`anyOf`; every object sets `additionalProperties: false` and lists every property in
`required` (an optional field is a required one that accepts null); `anyOf` branches, array
items and nested objects follow the same rules; and only a subset of JSON Schema keywords is
accepted. The allowed set below is that subset minus the string and number constraints (this
project's tools use none), so a schema passing here passes there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

Schema = Mapping[str, Any]

ALLOWED_KEYWORDS = frozenset(
    {
        "type",
        "description",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
    }
)
_TYPED_BY = ("type", "enum", "const", "anyOf", "$ref")


def strict_problems(parameters: Schema) -> list[str]:
    """What breaks the rules in a tool's `parameters` schema; empty when it passes."""
    problems: list[str] = []
    if parameters.get("type") != "object" or "anyOf" in parameters:
        problems.append("<root>: must be an object, not a union")
    _check(parameters, "<root>", problems)
    return problems


def accepts_null(schema: Schema) -> bool:
    """Whether `schema` lets the model send null."""
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = cast("list[Schema]", schema.get("anyOf", []))
    return any(accepts_null(branch) for branch in branches)


def _check(schema: Schema, path: str, problems: list[str]) -> None:
    unknown = sorted(set(schema) - ALLOWED_KEYWORDS)
    if unknown:
        problems.append(f"{path}: unsupported keywords {unknown}")
    if not any(key in schema for key in _TYPED_BY):
        problems.append(f"{path}: has no type")
    kinds = schema.get("type")
    kind_list = kinds if isinstance(kinds, list) else [kinds]
    if "object" in kind_list:
        properties = cast("Mapping[str, Schema]", schema.get("properties", {}))
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}: additionalProperties must be false")
        if sorted(cast("list[str]", schema.get("required", []))) != sorted(properties):
            problems.append(f"{path}: required must list every property")
        for name, sub in properties.items():
            _check(sub, f"{path}.{name}", problems)
    if "array" in kind_list:
        items = schema.get("items")
        if not isinstance(items, Mapping):
            problems.append(f"{path}: an array needs typed items")
        else:
            _check(cast("Schema", items), f"{path}[]", problems)
    for index, branch in enumerate(cast("list[Schema]", schema.get("anyOf", []))):
        _check(branch, f"{path}|{index}", problems)
