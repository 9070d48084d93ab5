"""The Slack endpoints as a FastAPI router: the one module of `slack_app` that knows FastAPI.

`POST /slack/events` takes events, slash commands, interactivity and options; `GET
/slack/install` and `GET /slack/oauth_redirect` run the OAuth install when it is configured.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from core.metrics import observe_slack_ack
from core.spans import span
from slack_app.delivery.request_ids import HTTP_REQUEST_ID
from slack_app.gate.verification import VERIFIED, installed_verification
from slack_app.payloads import json_object

logger = logging.getLogger(__name__)

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


def request_kind(body: bytes) -> str | None:
    """What a `POST /slack/events` body is, for the ack latency metric: `event` (Events API),
    `command` (slash command), `interactive` (buttons, modals, shortcuts, options) or `other`
    (URL verification, SSL checks); None when Bolt could not read it. Bolt parses a body before
    its listeners run, and one it cannot parse (not a JSON object, or a form whose `payload` is
    not one) would end in a traceback."""
    try:
        text = body.decode("utf-8")
        if text.startswith("{"):
            parsed = json_object(json.loads(text))
            if parsed is None:
                return None
            return "event" if parsed.get("type") == "event_callback" else "other"
        form = parse_qs(text, max_num_fields=100, strict_parsing=bool(text), errors="strict")
        payloads = form.get("payload")
        if payloads is not None:
            payload: object = json.loads(payloads[0])
            return "interactive" if len(payloads) == 1 and isinstance(payload, dict) else None
        return "command" if "command" in form else "other"
    except (ValueError, RecursionError):
        # `ValueError` covers bad UTF-8, bad JSON and a malformed form alike.
        return None


def _refusal(response: BoltResponse) -> Response:
    return Response(
        status_code=response.status,
        content=response.body,
        media_type=response.headers.get("content-type", ["application/json"])[0],
    )


def slack_router(app: AsyncApp | None, *, reason: str = "") -> APIRouter:
    """The Slack routes, served by `app`; without one they answer 503 with `reason`."""
    router = APIRouter(tags=["slack"])
    handler = AsyncSlackRequestHandler(app) if app is not None else None
    verification = installed_verification(app) if app is not None else None

    @router.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        started = time.perf_counter()
        if handler is None:
            return _not_configured(reason)
        body = await request.body()
        if verification is not None:
            # The signature is checked on the bytes as they arrived, before Bolt (or anything
            # else) parses them: an unsigned body never reaches a parser.
            refused = await verification.check_raw(
                body=body,
                timestamp=request.headers.get("x-slack-request-timestamp", ""),
                signature=request.headers.get("x-slack-signature", ""),
            )
            if refused is not None:
                return _refusal(refused)
        kind = request_kind(body)
        if kind is None:
            logger.warning("refused a signed Slack request whose body cannot be read")
            return JSONResponse(status_code=400, content={"error": "unreadable request body"})
        # Starlette keeps the body, so Bolt reads the same bytes.
        # The listeners Bolt starts inside this span (they run after the ack) are its
        # children, so a message's agent turn joins the request's trace
        # (`slack_app.gate.observe` adds the team, person and event to it).
        with span(f"slack {kind}", slack_kind=kind):
            # Listeners audit their writes under this request's id
            # (`slack_app.delivery.request_ids`).
            context = request_context(request)
            if verification is not None:
                context[VERIFIED] = True
            response = await handler.handle(request, addition_context_properties=context)
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
