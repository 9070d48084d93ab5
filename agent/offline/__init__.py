"""The offline model: a deterministic parser that plans the same tool calls a provider model makes.

`parse_message` (pure Python) turns a message into `PlannedCall`s or a reply; `model.py` wraps it
as a pydantic-ai `FunctionModel` named "offline". `build_offline_model` is imported lazily so that
importing the parser never loads pydantic-ai.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.offline.parser import parse_message
from agent.offline.plan import ConversationContext, ParseResult, PlannedCall, TitleRef

if TYPE_CHECKING:
    from pydantic_ai.models.function import FunctionModel

__all__ = [
    "ConversationContext",
    "ParseResult",
    "PlannedCall",
    "TitleRef",
    "build_offline_model",
    "parse_message",
]


def build_offline_model() -> FunctionModel:
    """The offline model as a pydantic-ai `FunctionModel`; see `agent.offline.model`."""
    from agent.offline.model import build_offline_model as build

    return build()
