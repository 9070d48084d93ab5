"""The Slack endpoints as a FastAPI router: the one module of `slack_app` that knows FastAPI.

`POST /slack/events` takes events, slash commands, interactivity and options; `GET
/slack/install` and `GET /slack/oauth_redirect` run the OAuth install when it is configured.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from slack_app.request_ids import HTTP_REQUEST_ID

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"


def _not_configured(reason: str) -> Response:
    return JSONResponse(
        status_code=503,
        content={"error": "slack_not_configured", "detail": reason},
    )


def request_context(request: Request) -> dict[str, Any]:
    """What the Bolt context gets from the HTTP request: its id (given by the API's
    `RequestIdMiddleware`, and answered in `X-Request-ID`), when it has one."""
    request_id = getattr(request.state, "request_id", None)
    return {HTTP_REQUEST_ID: request_id} if isinstance(request_id, str) and request_id else {}


def slack_router(app: AsyncApp | None, *, reason: str = "") -> APIRouter:
    """The Slack routes, served by `app`; without one they answer 503 with `reason`."""
    router = APIRouter(tags=["slack"])
    handler = AsyncSlackRequestHandler(app) if app is not None else None

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        if handler is None:
            return _not_configured(reason)
        # Listeners audit their writes under this request's id (see `slack_app.request_ids`).
        return await handler.handle(request, addition_context_properties=request_context(request))

    @router.get(INSTALL_PATH, include_in_schema=False)
    async def slack_install(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        if handler is None:
            return _not_configured(reason)
        return await handler.handle(request)

    @router.get(OAUTH_REDIRECT_PATH, include_in_schema=False)
    async def slack_oauth_redirect(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        if handler is None:
            return _not_configured(reason)
        return await handler.handle(request)

    return router
