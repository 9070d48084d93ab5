"""Who may speak to TaskPilot over Slack: Bolt middleware for the trust boundaries that hold
after a request's signature is verified (`slack_app.verification`).

- `once`: a slash command or interaction acts the first time its signed bytes arrive; a
  captured copy sent again is dropped.
- `only_our_workspace`: with one bot token, only that token's workspace is served.
- `only_our_people`: a Slack Connect guest's mention or DM gets one polite sentence, no turn.
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

from slack_app.deliveries import delivery_key, replay_key
from slack_app.services import SlackServices

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
    auth.test names). The same app installed elsewhere
    signs with the same secret, so a signed request may still come from another workspace (or
    an Enterprise Grid org): it is acknowledged and ignored, with one log line."""

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
    for entry in body.get("response_urls") or []:
        url = entry.get("response_url") if isinstance(entry, dict) else None
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


def only_our_people(services: SlackServices) -> Callable[..., Awaitable[BoltResponse | None]]:
    """Refuse, with one polite sentence and no write, a mention or DM by someone of another
    organisation (a Slack Connect guest): Slack marks their events with their own team in
    `user_team` and `source_team`, while the envelope's team is the installation's."""

    async def only_our_people(
        req: AsyncBoltRequest, context: AsyncBoltContext, next: Next
    ) -> BoltResponse | None:
        event: Any = req.body.get("event") if req.body.get("type") == "event_callback" else None
        if not isinstance(event, dict) or event.get("type") not in ("message", "app_mention"):  # pyright: ignore[reportUnknownMemberType]
            return await next()
        their_team = event.get("user_team") or event.get("source_team")  # pyright: ignore[reportUnknownMemberType]
        if not their_team or their_team == context.team_id or event.get("subtype"):  # pyright: ignore[reportUnknownMemberType]
            return await next()
        channel = str(event.get("channel") or "")  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        user = str(event.get("user") or "")  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        logger.info(
            "refused a person of another organisation",
            extra={"team": context.team_id, "their_team": their_team},
        )
        try:
            if event.get("channel_type") == "im":  # pyright: ignore[reportUnknownMemberType]
                await context.client.chat_postMessage(channel=channel, text=NOT_FOR_GUESTS)
            else:
                await context.client.chat_postEphemeral(
                    channel=channel, user=user, text=NOT_FOR_GUESTS
                )
        except SlackApiError as error:
            logger.warning(
                "could not tell a guest why nothing happened",
                extra={"error": error.response.get("error")},
            )
        key = delivery_key(req.body)
        if key is not None:
            await services.ledger.finish(key)
        return BoltResponse(status=200, body="")

    return only_our_people
