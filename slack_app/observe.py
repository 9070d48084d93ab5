"""Each Slack request's ids and span: who it is for, which event, and one span around it.

A Bolt middleware: it binds the team, the person and the Slack event id (`core.context`) and
opens a `slack <kind>` span before the listeners run. Listeners that work after the
acknowledgement run in tasks started inside it, so their log lines and spans (the agent turn,
its model and tool calls, database queries) carry the same ids and join the same trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from core.context import REQUEST_ID, bound, current_ids
from core.spans import span
from slack_app.request_ids import request_id_of

Next = Callable[[], Awaitable[BoltResponse | None]]


def request_kind(body: dict[str, Any]) -> str:
    """`event`, `command`, `interactive` or `other`: what a Slack request carries."""
    if body.get("type") == "event_callback":
        return "event"
    if "command" in body:
        return "command"
    if body.get("type") in (
        "block_actions",
        "view_submission",
        "view_closed",
        "message_action",
        "shortcut",
        "block_suggestion",
    ):
        return "interactive"
    return "other"


def _detail(body: dict[str, Any], kind: str) -> str | None:
    """The event type, the command or the interaction type: never what the person wrote."""
    if kind == "event":
        event: Any = body.get("event")
        return str(event.get("type")) if isinstance(event, dict) else None  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    if kind == "command":
        return str(body.get("command"))
    return str(body.get("type")) if body.get("type") else None


async def observe_slack_request(req: AsyncBoltRequest, next: Next) -> BoltResponse | None:
    """Bind the request's ids and run the rest of Bolt's chain inside a span."""
    body: dict[str, Any] = req.body
    context = req.context
    kind = request_kind(body)
    event_id = body.get("event_id")
    # Over HTTP the server has bound the request's id already; in Socket Mode there is none.
    request_id = current_ids().get(REQUEST_ID) or request_id_of(context, body)
    with (
        bound(
            request_id=request_id,
            team_id=context.team_id,
            user_id=context.user_id,
            slack_event_id=str(event_id) if event_id else None,
        ),
        span(
            f"slack {kind}",
            slack_kind=kind,
            slack_type=_detail(body, kind),
            team_id=context.team_id,
            user_id=context.user_id,
            slack_event_id=str(event_id) if event_id else None,
            request_id=request_id,
        ),
    ):
        return await next()
