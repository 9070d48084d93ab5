"""Prompt tokens of a Chat Completions request, counted the way OpenAI bills them.

Messages and tool definitions are counted with the model's tokenizer (`o200k_base` for the
gpt-4o and gpt-4.1 families) and the per-message and per-function overheads that OpenAI's
cookbook documents ("How to count tokens with tiktoken"): tool schemas reach the model in a
compact rendering, not as JSON, so counting their JSON text would overstate them.

tiktoken downloads its tokenizer files on first use; LiteLLM ships the common ones, so the
cache directory points there and nothing is fetched.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, cast

__all__ = ["count_request_tokens", "encoding"]

# Overheads from OpenAI's cookbook, for the gpt-4o / gpt-4.1 families.
_PER_MESSAGE = 3
_PER_NAME = 1
_REPLY_PRIMING = 3
_FUNC_INIT = 7
_PROP_INIT = 3
_PROP_KEY = 3
_ENUM_INIT = -3
_ENUM_ITEM = 3
_FUNC_END = 12

Json = Mapping[str, Any]


class Encoding(Protocol):
    def encode(self, text: str) -> list[int]: ...


@functools.cache
def encoding(name: str = "o200k_base") -> Encoding:
    """The tiktoken encoding, read from LiteLLM's bundled copy when tiktoken has none cached."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        if spec is not None and spec.origin is not None:
            bundled = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(bundled)
    import tiktoken

    return cast("Encoding", tiktoken.get_encoding(name))


def _tokens(text: str) -> int:
    return len(encoding().encode(text))


def _content_text(content: object) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = cast("list[object]", content)
        return "".join(
            str(cast("Json", part).get("text", "")) if isinstance(part, Mapping) else str(part)
            for part in parts
        )
    return json.dumps(content)


def _message_tokens(message: Json) -> int:
    total = _PER_MESSAGE
    for key, value in message.items():
        if key == "tool_calls":
            for call in cast("list[Json]", value or []):
                function = cast("Json", call.get("function", {}))
                total += _tokens(str(function.get("name", "")))
                total += _tokens(str(function.get("arguments", "")))
        elif key in {"content", "role", "name", "tool_call_id"}:
            total += _tokens(_content_text(value))
            if key == "name":
                total += _PER_NAME
    return total


def _type_label(schema: Json) -> str:
    if "type" in schema:
        kind = schema["type"]
        return "|".join(cast("list[str]", kind)) if isinstance(kind, list) else str(kind)
    branches = cast("list[Json]", schema.get("anyOf", []))
    return "|".join(_type_label(branch) for branch in branches) or "any"


def _enum(schema: Json) -> list[object]:
    if "enum" in schema:
        return list(cast("list[object]", schema["enum"]))
    for branch in cast("list[Json]", schema.get("anyOf", [])):
        if "enum" in branch:
            return list(cast("list[object]", branch["enum"]))
    return []


def _tool_tokens(tools: Sequence[Json]) -> int:
    if not tools:
        return 0
    total = 0
    for tool in tools:
        function = cast("Json", tool.get("function", tool))
        total += _FUNC_INIT
        description = str(function.get("description") or "").removesuffix(".")
        total += _tokens(f"{function.get('name', '')}:{description}")
        properties = cast(
            "Json", cast("Json", function.get("parameters", {})).get("properties", {})
        )
        if properties:
            total += _PROP_INIT
            for key, raw in properties.items():
                schema = cast("Json", raw)
                total += _PROP_KEY
                values = _enum(schema)
                if values:
                    total += _ENUM_INIT
                    for item in values:
                        total += _ENUM_ITEM + _tokens(str(item))
                text = str(schema.get("description") or "").removesuffix(".")
                total += _tokens(f"{key}:{_type_label(schema)}:{text}")
    return total + _FUNC_END


def count_request_tokens(body: Json) -> int:
    """Prompt tokens of a Chat Completions request body: messages plus tool definitions."""
    messages = cast("list[Json]", body.get("messages") or [])
    tools = cast("list[Json]", body.get("tools") or [])
    return sum(_message_tokens(m) for m in messages) + _REPLY_PRIMING + _tool_tokens(tools)
