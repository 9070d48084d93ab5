"""`GET /metrics` for Prometheus, and the middleware that counts every HTTP request.

Wiring, in `create_app` (after the other middleware, so that this one runs outermost and
times everything, refusals by the protections included):

    install_metrics(app, settings)

The route label is the matched route's template (`/api/v1/tasks/{task_id}`), never the raw
path, so that ids in paths cannot create series; a request no route matched is `other`.
/metrics is not rate-limited and not in the OpenAPI schema; who may read it is
`core.metrics_access`'s rule (a bearer token, and off in production without one). It answers
the Prometheus text format 0.0.4, or OpenMetrics (with exemplars, in single-process mode)
when the scraper's `Accept` header asks for `application/openmetrics-text`.
"""

from __future__ import annotations

import re
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any, cast

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.access_log import log_request
from core.context import REQUEST_ID, current_ids
from core.metrics import OTHER_ROUTE, observe_http_request, render, set_build_info
from core.metrics_access import MetricsAccess, metrics_access
from core.settings import Settings

METRICS_PATH = "/metrics"


def route_label(scope: Scope, *, root_path: str = "") -> str:
    """The template of the route that served the request (`/api/v1/tasks/{task_id}`), or
    `other` when none did.

    Routing writes the matched route into the scope. A route of an included router may know
    only its own part (`/tasks/{task_id}`), so the router's prefix is found as the part of the
    request's path before the part the route's pattern matches; prefixes are literal here.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return OTHER_ROUTE
    pattern = getattr(route, "path_regex", None)
    if not isinstance(pattern, re.Pattern):
        return template
    path = str(scope.get("path", ""))
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    for index, char in enumerate(path):
        if char == "/" and cast("re.Pattern[str]", pattern).match(path[index:]):
            return path[:index] + template
    return template


class HttpMetricsMiddleware:
    """Counts each HTTP request by method, route template and status, times it, and writes its
    access log line (`api.access_log`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = str(scope.get("root_path", ""))
        # A request that fails before it answers is answered 500 by the server.
        status = 500
        ids: dict[str, str] = {}

        async def send_observed(message: Message) -> None:
            nonlocal status, ids
            if message["type"] == "http.response.start":
                status = int(message["status"])
                # Taken here, where the work's ids are bound; the request id is also in the
                # response's header, for middleware that does not bind it.
                ids = current_ids()
                if REQUEST_ID not in ids:
                    for name, value in message.get("headers", []):
                        if name.lower() == b"x-request-id":
                            ids[REQUEST_ID] = bytes(value).decode("latin-1")
                            break
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            method = str(scope.get("method", ""))
            route = route_label(scope, root_path=root_path)
            seconds = time.perf_counter() - started
            observe_http_request(
                method=method, route=route, status=status, seconds=seconds, ids=ids
            )
            state: object = scope.get("state")
            log_request(
                method=method,
                route=route,
                status=status,
                seconds=seconds,
                ids=ids,
                principal=(
                    cast("dict[str, Any]", state).get("principal")
                    if isinstance(state, dict)
                    else None
                ),
            )


def _version() -> str:
    try:
        return version("taskpilot")
    except PackageNotFoundError:
        return "unknown"


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """Add the request metrics middleware and `GET /metrics` to `app`, and export
    `taskpilot_build_info`. Call it before the app starts (middleware cannot be added later)."""
    set_build_info(version=settings.release or _version(), environment=settings.environment)
    app.add_middleware(HttpMetricsMiddleware)

    @app.get(METRICS_PATH, include_in_schema=False)
    async def prometheus_metrics(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        access = metrics_access(settings, authorization=request.headers.get("authorization"))
        if access is MetricsAccess.OFF:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        if access is MetricsAccess.UNAUTHORIZED:
            return JSONResponse(
                {"detail": "Send the metrics token as a bearer token."},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        # Reading several workers' files takes a moment: off the event loop.
        body, content_type = await run_in_threadpool(render, request.headers.get("accept"))
        return Response(content=body, media_type=content_type)
