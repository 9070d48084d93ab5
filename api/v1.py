"""REST v1: the router under `/api/v1`, its error handlers and the OpenAPI adjustments.

`install_v1(app)` is all the server (`taskpilot.server`) calls; the routes live in `routes_*`
modules.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi

from api.auth import RequestIdMiddleware
from api.openapi_links import add_links
from api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers, problem_responses
from api.routes_agent import router as agent_router
from api.routes_audit import router as audit_router
from api.routes_stats import router as stats_router
from api.routes_tasks import router as tasks_router

PREFIX = "/api/v1"


def build_router() -> APIRouter:
    """Every v1 route."""
    # Every request counts against its API key's budget (TASKPILOT_RATE_LIMIT_KEY) once the
    # key is authenticated, and a failed authentication against the caller's address
    # (`api.auth.authenticate`).
    router = APIRouter(prefix=PREFIX, responses=problem_responses(429, 503))
    router.include_router(tasks_router)
    router.include_router(agent_router)
    router.include_router(stats_router)
    router.include_router(audit_router)
    return router


def _problem_media_types(schema: dict[str, Any]) -> dict[str, Any]:
    # FastAPI documents every response as application/json; errors are problem+json.
    paths = cast("dict[str, dict[str, Any]]", schema.get("paths", {}))
    for operations in paths.values():
        for raw in operations.values():
            if not isinstance(raw, dict):
                continue
            operation = cast("dict[str, Any]", raw)
            responses = cast("dict[str, dict[str, Any]]", operation.get("responses", {}))
            for status, response in responses.items():
                content = cast("dict[str, Any] | None", response.get("content"))
                if not status.isdigit() or int(status) < 400 or not content:
                    continue
                if "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema


def install_v1(app: FastAPI) -> None:
    """Mount REST v1 on `app`, make its errors problem+json and give requests ids."""
    app.include_router(build_router())
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=[
                    {"name": "tasks", "description": "The key's team's tasks."},
                    {"name": "agent", "description": "Agent turns through the API."},
                    {"name": "stats", "description": "Task counts."},
                    {"name": "audit", "description": "Who changed what."},
                    {"name": "health", "description": "Liveness."},
                ],
            )
            app.openapi_schema = add_links(_problem_media_types(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
