"""OpenAPI links between the task operations, so that clients and stateful testers (such as
schemathesis' state machine) know that a created task's `id` is the `task_id` of the others.

`add_links(schema)` adds a `links` object to the success response of each source operation of
`TASK_LINKS`; the operation ids must exist in the document, or it raises `KeyError` (a renamed
operation cannot silently drop its links).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

# The runtime expression a link reads the task's number from: `TaskPublic.id`.
TASK_ID_EXPRESSION: Final = "$response.body#/id"
# The path parameter every single-task operation names the task's number with.
TASK_ID_PARAMETER: Final = "path.task_id"

# Source operation id -> (its success status, {link name: target operation id}).
TASK_LINKS: Final[Mapping[str, tuple[str, Mapping[str, str]]]] = {
    "createTask": (
        "201",
        {
            "GetCreatedTask": "getTask",
            "UpdateCreatedTask": "updateTask",
            "AssignCreatedTask": "assignTask",
            "DeleteCreatedTask": "deleteTask",
        },
    ),
    "getTask": (
        "200",
        {"UpdateTask": "updateTask", "AssignTask": "assignTask", "DeleteTask": "deleteTask"},
    ),
    "updateTask": ("200", {"GetUpdatedTask": "getTask", "DeleteUpdatedTask": "deleteTask"}),
    "assignTask": ("200", {"GetAssignedTask": "getTask", "UpdateAssignedTask": "updateTask"}),
}

_METHODS: Final = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _operations(schema: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    paths: Mapping[str, Any] = schema.get("paths", {})
    for item in paths.values():
        if not isinstance(item, dict):
            continue
        for method, operation in item.items():  # pyright: ignore[reportUnknownVariableType]
            if method in _METHODS and isinstance(operation, dict):
                operation_id = operation.get("operationId")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
                if isinstance(operation_id, str):
                    yield operation_id, operation  # pyright: ignore[reportUnknownArgumentType]


def link(target: str, *, description: str) -> dict[str, Any]:
    """An OpenAPI Link object passing the response's task id as `target`'s `task_id`."""
    return {
        "operationId": target,
        "parameters": {TASK_ID_PARAMETER: TASK_ID_EXPRESSION},
        "description": description,
    }


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (changed in place) with the links of `TASK_LINKS` on its responses."""
    operations = dict(_operations(schema))
    for source, (status, targets) in TASK_LINKS.items():
        responses: dict[str, Any] = operations[source]["responses"]
        response: dict[str, Any] = responses[status]
        links: dict[str, Any] = response.setdefault("links", {})
        for name, target in targets.items():
            if target not in operations:
                raise KeyError(target)
            links[name] = link(
                target, description=f"`id` in the response is `task_id` of `{target}`."
            )
    return schema
