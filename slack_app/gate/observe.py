"""Each Slack request's ids: who it is for and which event, on its logs and its span.

A Bolt middleware: it binds the team, the person and the Slack event id (`core.context`) for
the rest of the request, and adds them to the current span (the `slack <kind>` span that
`slack_app.gate.fastapi_adapter` opens over HTTP). Bolt's middleware runs before the listeners
start and in the same task, so the listeners (which run after the acknowledgement, in tasks
started by Bolt) log with these ids, and their spans (the agent turn, its model and tool
calls, database queries) join the request's trace. Over HTTP the server resets the ids when
the request ends; in Socket Mode each request is handled in its own task.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from core.context import REQUEST_ID, bind, current_ids
from core.spans import set_attributes
from slack_app.delivery.request_ids import request_id_of
from slack_app.payloads import json_object

logger = logging.getLogger(__name__)

Next = Callable[[], Awaitable[BoltResponse | None]]


def _detail(body: dict[str, Any]) -> str:
    """The event type, the command or the interaction type: never what the person wrote."""
    event = json_object(body.get("event"))
    if body.get("type") == "event_callback" and event is not None:
        return str(event.get("type"))
    if "command" in body:
        return str(body.get("command"))
    return str(body.get("type") or "other")


async def observe_slack_request(req: AsyncBoltRequest, next: Next) -> BoltResponse | None:
    """Bind the request's ids, name them on the span, log one line; then carry on."""
    body: dict[str, Any] = req.body
    context = req.context
    event_id = str(body["event_id"]) if body.get("event_id") else None
    # Over HTTP the server has bound the request's id already; in Socket Mode there is none.
    request_id = current_ids().get(REQUEST_ID) or request_id_of(context, body)
    bind(
        request_id=request_id,
        team_id=context.team_id,
        user_id=context.user_id,
        slack_event_id=event_id,
        fresh=True,
    )
    detail = _detail(body)
    set_attributes(
        slack_type=detail,
        team_id=context.team_id,
        user_id=context.user_id,
        slack_event_id=event_id,
        request_id=request_id,
    )
    logger.info("slack request: %s", detail)
    return await next()
