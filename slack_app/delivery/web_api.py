"""The Slack Web API methods TaskPilot calls, with types.

slack_sdk declares every `AsyncWebClient` method with untyped `**kwargs` (and its Block Kit
parameters as bare `dict`), so a strict type check reads each method as partly unknown
wherever it is used. These wrappers are the one place that meets them: each calls its
method with the arguments it is given (slack_sdk drops those left None), takes Block Kit as
the types of `slack_app.views.block_kit`, and hands the response back unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.slack_response import SlackResponse

from slack_app.views.block_kit import HomeView, MessageBlock, ModalView, block_dicts, view_dict

# Each call below carries `pyright: ignore[reportUnknownMemberType]` for the untyped
# `**kwargs` of slack_sdk's method; the arguments themselves are still checked against it.


async def post_message(
    client: AsyncWebClient,
    *,
    channel: str,
    text: str,
    blocks: Sequence[MessageBlock] | None = None,
    thread_ts: str | None = None,
    unfurl_links: bool | None = None,
) -> AsyncSlackResponse:
    """chat.postMessage: `text` (the notification, and what shows without blocks) and
    `blocks` in `channel` (a user id posts in the DM), in `thread_ts`'s thread if given."""
    return await client.chat_postMessage(  # pyright: ignore[reportUnknownMemberType]
        channel=channel,
        text=text,
        blocks=None if blocks is None else block_dicts(blocks),
        thread_ts=thread_ts,
        unfurl_links=unfurl_links,
    )


async def post_ephemeral(
    client: AsyncWebClient, *, channel: str, user: str, text: str
) -> AsyncSlackResponse:
    """chat.postEphemeral: `text` in `channel`, seen by `user` alone."""
    return await client.chat_postEphemeral(  # pyright: ignore[reportUnknownMemberType]
        channel=channel, user=user, text=text
    )


async def update_message(
    client: AsyncWebClient, *, channel: str, ts: str, text: str, blocks: Sequence[MessageBlock]
) -> AsyncSlackResponse:
    """chat.update: the app's own message `ts` in `channel` gets this text and these blocks."""
    return await client.chat_update(  # pyright: ignore[reportUnknownMemberType]
        channel=channel, ts=ts, text=text, blocks=block_dicts(blocks)
    )


async def message_permalink(
    client: AsyncWebClient, *, channel: str, message_ts: str
) -> AsyncSlackResponse:
    """chat.getPermalink: a link to message `message_ts` of `channel` (`permalink`)."""
    return await client.chat_getPermalink(  # pyright: ignore[reportUnknownMemberType]
        channel=channel, message_ts=message_ts
    )


async def open_view(
    client: AsyncWebClient, *, trigger_id: str, view: ModalView
) -> AsyncSlackResponse:
    """views.open: the modal `view`, within 3 seconds of the interaction behind `trigger_id`;
    the response's `view` holds its `id` and `hash`."""
    return await client.views_open(  # pyright: ignore[reportUnknownMemberType]
        trigger_id=trigger_id, view=view_dict(view)
    )


async def update_view(
    client: AsyncWebClient, *, view_id: str, hash: str | None, view: ModalView
) -> AsyncSlackResponse:
    """views.update: the open modal `view_id` becomes `view`, unless it changed since `hash`."""
    return await client.views_update(  # pyright: ignore[reportUnknownMemberType]
        view_id=view_id, hash=hash, view=view_dict(view)
    )


async def publish_view(
    client: AsyncWebClient, *, user_id: str, view: HomeView
) -> AsyncSlackResponse:
    """views.publish: `user_id`'s App Home becomes `view`."""
    return await client.views_publish(  # pyright: ignore[reportUnknownMemberType]
        user_id=user_id, view=view_dict(view)
    )


async def list_users(
    client: AsyncWebClient, *, limit: int, cursor: str | None
) -> AsyncSlackResponse:
    """users.list: a page of at most `limit` members (`members`), from `cursor` on; the next
    page's cursor is `response_metadata.next_cursor`."""
    return await client.users_list(  # pyright: ignore[reportUnknownMemberType]
        limit=limit, cursor=cursor
    )


async def user_info(client: AsyncWebClient, *, user: str) -> AsyncSlackResponse:
    """users.info: the user object of `user` (`user`)."""
    return await client.users_info(user=user)  # pyright: ignore[reportUnknownMemberType]


async def token_identity(client: AsyncWebClient) -> AsyncSlackResponse:
    """auth.test: whom the client's token speaks for (`team_id`, `user_id`)."""
    return await client.auth_test()  # pyright: ignore[reportUnknownMemberType]


def error_code(error: SlackApiError) -> str | None:
    """The `error` Slack answered a refused call with (`not_in_channel`, `expired_trigger_id`
    ...), or None when the response names none."""
    # slack_sdk leaves `response` unannotated; it holds the call's (Async)SlackResponse.
    response: object = error.response
    if isinstance(response, SlackResponse | AsyncSlackResponse):
        code = response.get("error")
        return code if isinstance(code, str) else None
    return None
