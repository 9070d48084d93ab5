"""Who may speak to TaskPilot over Slack: Bolt middleware for the trust boundaries that hold
after a request's signature is verified (`slack_app.gate.verification`).

- `once`: a slash command or interaction acts the first time its signed bytes arrive; a
  captured copy sent again is dropped.
- `only_our_workspace`: with one bot token, only that token's workspace is served.
- `only_our_people`: a Slack Connect guest's mention, DM, shortcut, form or click gets one
  polite sentence, and nothing is written.
- `only_slack_response_urls`: a response_url must be Slack's.

`docs/security.md` lists every boundary and where it is enforced.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from slack_app.delivery import web_api
from slack_app.delivery.deliveries import delivery_key, replay_key
from slack_app.payloads import json_object
from slack_app.services import SlackServices
from slack_app.views.block_kit import ModalView, mrkdwn, plain_text

logger = logging.getLogger(__name__)

Next = Callable[[], Awaitable[BoltResponse | None]]


async def once(services: SlackServices, req: AsyncBoltRequest, next: Next) -> BoltResponse | None:
    """Run a slash command or an interaction the first time its signed bytes arrive, and drop
    them when they arrive again (a captured request replayed within the signature's five
    minutes), on whichever replica, through the same ledger as events."""
    timestamp = req.headers.get("x-slack-request-timestamp", [""])[0]
    key = replay_key(raw_body=req.raw_body, timestamp=timestamp)
    if not await services.ledger.claim(key):
        logger.warning("dropped a Slack command or interaction sent again", extra={"delivery": key})
        return BoltResponse(status=200, body="")
    # Marked handled at once: a replay is dropped whatever becomes of the first request.
    await services.ledger.finish(key)
    return await next()


def only_our_workspace(services: SlackServices) -> Callable[..., Awaitable[BoltResponse | None]]:
    """With one bot token, serve only that token's workspace (`SLACK_TEAM_ID`, or what Slack's
    auth.test names). The same app installed elsewhere signs with the same secret, so a signed
    request may still come from another workspace (or an Enterprise Grid org): it is
    acknowledged and ignored, with one log line."""

    async def only_our_workspace(
        req: AsyncBoltRequest, context: AsyncBoltContext, next: Next
    ) -> BoltResponse | None:
        # An unknown workspace of our own (auth.test named none, no SLACK_TEAM_ID) makes
        # every request foreign: closed, not open.
        ours = await services.tokens.team_ids()
        team = context.team_id
        foreign = (
            not ours
            or (team is not None and team not in ours)
            or (team is None and context.enterprise_id is not None)
        )
        if not foreign:
            return await next()
        logger.warning(
            "ignored a Slack request from another workspace",
            extra={"team": team, "enterprise": context.enterprise_id},
        )
        key = delivery_key(req.body)
        if key is not None:
            await services.ledger.finish(key)
        return BoltResponse(status=200, body="")

    return only_our_workspace


# Where Slack's response_urls point (commercial Slack and GovSlack), over HTTPS.
SLACK_RESPONSE_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})


def _response_urls(body: dict[str, Any]) -> list[str]:
    """Every response_url a command or an interaction hands the app."""
    found: list[str] = []
    single = body.get("response_url")
    if isinstance(single, str):
        found.append(single)
    entries: list[object] = body.get("response_urls") or []
    for entry in entries:
        given = json_object(entry)
        url = given.get("response_url") if given is not None else None
        if isinstance(url, str):
            found.append(url)
    return found


def _allowed_response_url(url: str, *, api_base: str) -> bool:
    """Whether `url` is one of Slack's (`SLACK_RESPONSE_HOSTS` over HTTPS) or on the host of
    the configured `SLACK_API_BASE_URL` (a local stand-in of Slack, in tests)."""
    parsed = urlsplit(url)
    if parsed.scheme == "https" and parsed.hostname in SLACK_RESPONSE_HOSTS and not parsed.port:
        return True
    base = urlsplit(api_base)
    return (parsed.scheme, parsed.netloc) == (base.scheme, base.netloc)


def only_slack_response_urls(
    services: SlackServices,
) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Drop a command or an interaction whose response_url points anywhere but Slack: the app
    would otherwise post there (with what it says about the team's tasks), wherever a signed
    payload points."""

    async def only_slack_response_urls(req: AsyncBoltRequest, next: Next) -> BoltResponse | None:
        base = services.settings.slack_api_base_url
        refused = [
            url for url in _response_urls(req.body) if not _allowed_response_url(url, api_base=base)
        ]
        if not refused:
            return await next()
        logger.warning(
            "dropped a Slack request whose response_url is not Slack's",
            extra={"host": urlsplit(refused[0]).hostname},
        )
        return BoltResponse(status=200, body="")

    return only_slack_response_urls


# What a person of another organisation hears when they mention or DM TaskPilot in a channel
# shared through Slack Connect.
NOT_FOR_GUESTS = (
    "Sorry, I'm only for people of this workspace, so I can't show or change its tasks for you."
)


# Interactions whose payload names the person's own team in `user.team_id`.
_INTERACTIONS = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "message_action",
        "shortcut",
        "view_closed",
        "view_submission",
    }
)


def their_team(body: dict[str, Any]) -> str | None:
    """The team of the person behind a request, where Slack names it: `user_team` or
    `source_team` on a shared channel's events, `user.team_id` on interactions. None when the
    request does not say (slash commands arrive from the invoking person's own workspace)."""
    kind = body.get("type")
    team: object = None
    if kind == "event_callback":
        event = json_object(body.get("event"))
        if event is not None and not event.get("subtype"):
            team = event.get("user_team") or event.get("source_team")
    elif kind in _INTERACTIONS:
        user = json_object(body.get("user"))
        team = user.get("team_id") if user is not None else None
    return team if isinstance(team, str) and team else None


def _not_for_guests_modal() -> ModalView:
    return {
        "type": "modal",
        "title": plain_text("TaskPilot"),
        "close": plain_text("Close"),
        "blocks": [{"type": "section", "text": mrkdwn(NOT_FOR_GUESTS)}],
    }


async def _tell_guest(body: dict[str, Any], context: AsyncBoltContext) -> BoltResponse:
    """Say NOT_FOR_GUESTS where the request lets the app answer, and acknowledge it."""
    kind = body.get("type")
    if kind == "view_submission":
        # The open form turns into the sentence: nothing was saved.
        return BoltResponse(
            status=200, body={"response_action": "update", "view": _not_for_guests_modal()}
        )
    if kind == "block_suggestion":
        return BoltResponse(status=200, body={"options": []})
    try:
        if kind == "event_callback":
            # Only a message or a mention was said somewhere; other events get no answer.
            event: dict[str, Any] = body.get("event") or {}
            channel = str(event.get("channel") or "")
            if event.get("type") in ("message", "app_mention") and channel:
                if event.get("channel_type") == "im":
                    await web_api.post_message(context.client, channel=channel, text=NOT_FOR_GUESTS)
                else:
                    await web_api.post_ephemeral(
                        context.client,
                        channel=channel,
                        user=str(event.get("user") or ""),
                        text=NOT_FOR_GUESTS,
                    )
        elif context.respond is not None and _response_urls(body):
            await context.respond(
                text=NOT_FOR_GUESTS, response_type="ephemeral", replace_original=False
            )
        elif kind in ("shortcut", "message_action") and isinstance(body.get("trigger_id"), str):
            await web_api.open_view(
                context.client, trigger_id=body["trigger_id"], view=_not_for_guests_modal()
            )
    except SlackApiError as error:
        logger.warning(
            "could not tell a guest why nothing happened",
            extra={"error": web_api.error_code(error)},
        )
    return BoltResponse(status=200, body="")


def only_our_people(services: SlackServices) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Refuse, with one polite sentence and no write, anything a person of another
    organisation (a Slack Connect guest) asks through a mention, a DM, a shortcut, a form or a
    button: Slack names their own team (`their_team`) while the request's team is the
    installation's."""

    async def only_our_people(
        req: AsyncBoltRequest, context: AsyncBoltContext, next: Next
    ) -> BoltResponse | None:
        # Without a team of its own (an org-wide install's request) there is nothing to
        # compare with; `only_our_workspace` and the installation store decide those.
        team = their_team(req.body)
        if team is None or context.team_id is None or team == context.team_id:
            return await next()
        logger.info(
            "refused a person of another organisation",
            extra={"team": context.team_id, "their_team": team, "type": req.body.get("type")},
        )
        answer = await _tell_guest(req.body, context)
        key = delivery_key(req.body)
        if key is not None:
            await services.ledger.finish(key)
        return answer

    return only_our_people
