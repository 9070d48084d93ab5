"""The Slack endpoints as a FastAPI router: the one module of `slack_app` that knows FastAPI.

`POST /slack/events` takes events, slash commands, interactivity and options; `GET
/slack/install` and `GET /slack/oauth_redirect` run the OAuth install when it is configured.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

from core.metrics import observe_slack_ack
from core.spans import span
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


def request_kind(body: bytes) -> str:
    """What a `POST /slack/events` body is, for the ack latency metric: `event` (Events API),
    `command` (slash command), `interactive` (buttons, modals, shortcuts, options) or `other`
    (URL verification, anything unreadable)."""
    if body.startswith(b"{"):
        try:
            parsed: object = json.loads(body)
        except ValueError:
            return "other"
        if isinstance(parsed, dict) and parsed.get("type") == "event_callback":  # pyright: ignore[reportUnknownMemberType]
            return "event"
        return "other"
    try:
        form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=100)
    except ValueError:
        return "other"
    if "command" in form:
        return "command"
    if "payload" in form:
        return "interactive"
    return "other"


def slack_router(app: AsyncApp | None, *, reason: str = "") -> APIRouter:
    """The Slack routes, served by `app`; without one they answer 503 with `reason`."""
    router = APIRouter(tags=["slack"])
    handler = AsyncSlackRequestHandler(app) if app is not None else None

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        started = time.perf_counter()
        if handler is None:
            return _not_configured(reason)
        # Starlette keeps the body, so Bolt reads the same bytes for the signature check.
        kind = request_kind(await request.body())
        # The listeners Bolt starts inside this span (they run after the ack) are its
        # children, so a message's agent turn joins the request's trace
        # (`slack_app.observe` adds the team, person and event to it).
        with span(f"slack {kind}", slack_kind=kind):
            # Listeners audit their writes under this request's id (`slack_app.request_ids`).
            response = await handler.handle(
                request, addition_context_properties=request_context(request)
            )
        observe_slack_ack(kind=kind, seconds=time.perf_counter() - started)
        return response

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
