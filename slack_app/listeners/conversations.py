"""Talking to the agent: mentions in channels, DMs, and the assistant panel.

Every answer goes into the thread of the message, and each thread is one conversation the
agent remembers. The work runs after Bolt has acknowledged the event.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncAssistant
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.context.set_status.async_set_status import AsyncSetStatus
from slack_bolt.context.set_suggested_prompts.async_set_suggested_prompts import (
    AsyncSetSuggestedPrompts,
)
from slack_bolt.context.set_title.async_set_title import AsyncSetTitle
from slack_sdk.web.async_client import AsyncWebClient

from agent.memory import Conversation
from core.context import REQUEST_ID, SLACK_EVENT_ID, current_ids
from slack_app.delivery.request_ids import delivery_key_of
from slack_app.delivery.settlement import finish_delivery, settled
from slack_app.delivery.turn_queue import SlackJob, submit
from slack_app.delivery.turns import (
    TRANSIENT_DATABASE_ERRORS,
    SlackTurn,
    answer_in_thread,
    conversation_id,
)
from slack_app.services import SlackServices, services_of
from slack_app.views.text import truncate

logger = logging.getLogger(__name__)

SUGGESTED_PROMPTS: tuple[dict[str, str], ...] = (
    {"title": "What's on my plate?", "message": "What's on my plate this week?"},
    {"title": "Add a task", "message": "Remind me to send the Q3 deck by Friday"},
    {"title": "Overdue", "message": "What's overdue for the team?"},
    {"title": "Assign", "message": "Assign the newest task to bob"},
)
ASSISTANT_GREETING = (
    "Hi! I keep track of your team's tasks. Tell me what needs doing, who should do it and "
    "by when — or ask what's on your plate."
)
THINKING_STATUS = "is thinking…"


async def handle_message(
    services: SlackServices,
    *,
    event: dict[str, Any],
    team_id: str,
    user_id: str,
    delivery_key: str | None,
    client: AsyncWebClient,
) -> None:
    """Answer one person's message in its thread; the delivery is settled on the way out
    (`settlement.settled`: answered, or released when the database failed before any write)."""
    async with settled(services, delivery_key) as settlement:
        turn = _turn_of(event, team_id=team_id, user_id=user_id, delivery_key=delivery_key)
        if turn is None:
            logger.warning("a Slack message without team, user, channel or ts was skipped")
            return
        async with services.inflight.track():
            await answer_in_thread(services, turn, client=client, on_replied=settlement.replied)


def _turn_of(
    event: dict[str, Any], *, team_id: str, user_id: str, delivery_key: str | None
) -> SlackTurn | None:
    """The turn a message event asks for; None when the event lacks where it was said."""
    team_id = team_id or str(event.get("team") or "")
    user_id = user_id or str(event.get("user") or "")
    channel_id = str(event.get("channel") or "")
    thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
    if not (team_id and user_id and channel_id and thread_ts):
        return None
    return SlackTurn.in_thread(
        team_id=team_id,
        user_id=user_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        text=str(event.get("text") or ""),
        # The Slack event (team:event_id) the audit log will name; Slack redelivers it when a
        # replica dies mid-turn, so its creates must be idempotent.
        request_id=delivery_key,
        replayable=delivery_key is not None,
    )


async def answer_message(
    services: SlackServices,
    *,
    event: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    """Answer a mention or direct message here, or queue it for a turn worker when the
    turn queue is on (`TASKPILOT_TURN_QUEUE=redis`)."""
    team_id = context.team_id or str(event.get("team") or "")
    user_id = context.user_id or str(event.get("user") or "")
    key = delivery_key_of(context)
    queue = services.turn_queue
    if queue is not None:
        ids = current_ids()
        job = SlackJob(
            kind="message",
            team_id=team_id,
            user_id=user_id,
            payload=event,
            delivery_key=key,
            request_id=ids.get(REQUEST_ID),
            slack_event_id=ids.get(SLACK_EVENT_ID),
        )
        if await submit(queue, job):
            return
    await handle_message(
        services, event=event, team_id=team_id, user_id=user_id, delivery_key=key, client=client
    )


def _has_history(services: SlackServices, *, team_id: str, conversation: str) -> bool:
    with services.session_factory() as session:
        return session.get(Conversation, (team_id, conversation)) is not None


def _is_plain_dm(event: dict[str, Any]) -> bool:
    # Edits, deletions, joins and other subtypes are not messages to answer.
    return event.get("channel_type") == "im" and event.get("subtype") in (None, "file_share")


async def thread_started(
    say: AsyncSay, set_suggested_prompts: AsyncSetSuggestedPrompts, context: AsyncBoltContext
) -> None:
    """An assistant thread opened: the greeting and the suggested prompts."""
    try:
        await say(ASSISTANT_GREETING)
        await set_suggested_prompts(prompts=list(SUGGESTED_PROMPTS))
    finally:
        await finish_delivery(services_of(context), delivery_key_of(context))


async def user_message(
    payload: dict[str, Any],
    set_status: AsyncSetStatus,
    set_title: AsyncSetTitle,
    context: AsyncBoltContext,
    client: AsyncWebClient,
) -> None:
    """A message in an assistant thread: answered here, with the panel's status and title."""
    services = services_of(context)
    text = str(payload.get("text") or "")
    # The status and title belong to assistant threads; in a plain DM thread Slack refuses
    # them, which must not stop the answer.
    try:
        await set_status(THINKING_STATUS)
    except Exception as error:
        logger.debug("could not set the assistant status: %s", error)
    team_id = context.team_id or str(payload.get("team") or "")
    key = conversation_id(
        team_id=team_id,
        channel_id=str(payload.get("channel") or ""),
        thread_ts=str(payload.get("thread_ts") or payload.get("ts") or ""),
    )
    try:
        first_message = not await asyncio.to_thread(
            _has_history, services, team_id=team_id, conversation=key
        )
    except TRANSIENT_DATABASE_ERRORS as error:
        # The title is a nicety; the turn below retries the database and apologises.
        logger.warning("could not read the assistant thread's history: %s", error)
        first_message = False
    # The assistant panel's status and title need this request's Bolt helpers, so its turns
    # run here even when the turn queue is on.
    await handle_message(
        services,
        event=payload,
        team_id=team_id,
        user_id=context.user_id or str(payload.get("user") or ""),
        delivery_key=delivery_key_of(context),
        client=client,
    )
    if first_message:
        try:
            await set_title(truncate(" ".join(text.split()), 60) or "Tasks")
        except Exception as error:
            logger.debug("could not set the assistant thread title: %s", error)


async def on_mention(
    event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """An @-mention in a channel: answered in its thread."""
    services = services_of(context)
    if event.get("edited"):
        # Slack sends a mention again when its message is edited; the request it made was
        # answered the first time, and running it again would repeat its writes.
        await finish_delivery(services, delivery_key_of(context))
        return
    await answer_message(services, event=event, context=context, client=client)


async def on_message(
    event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """A message event: a direct message is answered; anything else only acknowledged."""
    services = services_of(context)
    if _is_plain_dm(event) and not event.get("bot_id"):
        await answer_message(services, event=event, context=context, client=client)
        return
    # Channel messages (without a mention), edits and deletions: acknowledged, no answer.
    await finish_delivery(services, delivery_key_of(context))


def register(app: AsyncApp) -> None:
    """Add the mention, DM and assistant listeners to `app`."""
    assistant = AsyncAssistant()
    # Bolt's Assistant decorators are unannotated, and its registration methods name
    # `re.Pattern` and listener middleware without type arguments.
    assistant.thread_started(thread_started)  # pyright: ignore[reportUnknownMemberType]
    assistant.user_message(user_message)  # pyright: ignore[reportUnknownMemberType]
    app.use(assistant)  # pyright: ignore[reportUnknownMemberType]
    app.event("app_mention")(on_mention)  # pyright: ignore[reportUnknownMemberType]
    app.event("message")(on_message)  # pyright: ignore[reportUnknownMemberType]
