"""Reading loosely typed JSON values (tool results, arguments) without `Any`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

Json = Mapping[str, object]
"""A JSON object: what a tool returns."""


def as_mapping(value: object) -> Json | None:
    """`value` as a string-keyed mapping, or None when it is not one."""
    if isinstance(value, Mapping):
        return cast("Json", value)
    return None


def as_list(value: object) -> list[object]:
    """`value` as a list, or an empty list when it is not one."""
    if isinstance(value, list | tuple):
        return list(cast("Sequence[object]", value))
    return []
