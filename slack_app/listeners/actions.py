"""Clicks on a task card: Done, Assign, Due, Priority and Delete.

Each click is acknowledged first, then checked (the card's workspace must be the clicker's),
run through `TaskService` as the person who clicked (authorization lives there), and the card
is updated where it was clicked: in its message through the `response_url`, or by publishing
the App Home again. Whatever stops a change is told to the clicker alone, in a sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, cast

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from slack_app.delivery import notify, web_api
from slack_app.delivery.request_ids import request_id_of
from slack_app.jobs import directory_sync
from slack_app.listeners.home import publish_home, user_zone
from slack_app.payloads import BlockAction, BlockActions
from slack_app.services import SlackServices, services_of
from slack_app.views import blocks
from slack_app.views.block_kit import MessageBlock
from slack_app.views.text import BLOCKS_MAX, escape_keeping_mentions
from tasks.cards import task_card
from tasks.due_dates import format_due, resolve_due
from tasks.enums import TaskStatus
from tasks.errors import InvalidTaskInput, TaskError, TaskNotFound
from tasks.models import AuditAction, Task
from tasks.service import TaskService

logger = logging.getLogger(__name__)

OTHER_WORKSPACE = (
    "This task belongs to another workspace, so only that workspace's members can change it."
)
UNKNOWN_CONTROL = "This card is out of date; ask me for the task again to get a fresh one."
FAILED = "Sorry, something went wrong with that click. Please try again in a moment."


@dataclass(frozen=True, kw_only=True)
class Click:
    """One click on a card control, with the task it is about."""

    action_id: str
    team_id: str
    number: int
    actor_id: str
    action: BlockAction
    request_id: str
    """The Slack request the click came in (see `slack_app.delivery.request_ids`), for the audit
    log."""


@dataclass(frozen=True, kw_only=True)
class Changed:
    """A change that went through: the new card (None once deleted) and what happened."""

    card: blocks.CardLike | None
    note: str
    previous_assignee_id: str | None


def card_target(action: BlockAction) -> tuple[str, int] | None:
    """(team_id, number) of the card a control belongs to: a button's value, or for selects
    and the date picker (which carry no value) the block_id of their actions block."""
    value = action.get("value")
    if isinstance(value, str) and (parsed := blocks.parse_card_value(value)) is not None:
        return parsed
    block_id = action.get("block_id")
    return blocks.parse_block_id(block_id) if isinstance(block_id, str) else None


def clicker_team(body: BlockActions) -> str | None:
    """The workspace of the person who clicked (in a shared channel, possibly not the app's)."""
    user = body.get("user") or {}
    team = user.get("team_id") or (body.get("team") or {}).get("id")
    return team if isinstance(team, str) and team else None


# What each control does, given the service (acting as the clicker), the click and the
# clicker's zone: the task after the change and the line that tells others about it.
Change = Callable[[TaskService, Click, tzinfo], tuple[Task, str]]


def _mark_done(service: TaskService, click: Click, tz: tzinfo) -> tuple[Task, str]:
    task = service.update_task(number=click.number, status=TaskStatus.done)
    return task, f"✅ Marked done by <@{click.actor_id}>"


def _assign(service: TaskService, click: Click, tz: tzinfo) -> tuple[Task, str]:
    selected = click.action.get("selected_user")
    task = service.assign_task(
        number=click.number, assignee_id=selected if isinstance(selected, str) else None
    )
    if task.assignee_id is None:
        return task, f"👤 Unassigned by <@{click.actor_id}>"
    return task, f"👤 Assigned to <@{task.assignee_id}> by <@{click.actor_id}>"


def _set_due(service: TaskService, click: Click, tz: tzinfo) -> tuple[Task, str]:
    selected = click.action.get("selected_date")
    if not isinstance(selected, str) or not selected:
        raise InvalidTaskInput("Pick a day in the date picker to set the due date.", field="due")
    # The picker gives a day (YYYY-MM-DD): an all-day due date in the clicker's zone.
    now = datetime.now(tz)
    due = resolve_due(selected, now=now)
    task = service.update_task(number=click.number, due=due)
    passed = " (that day has already passed)" if due.in_past else ""
    return task, f"📅 Due {format_due(due, tz=tz, now=now)}{passed}, set by <@{click.actor_id}>"


def _set_priority(service: TaskService, click: Click, tz: tzinfo) -> tuple[Task, str]:
    option = click.action.get("selected_option") or {}
    value = option.get("value")
    if not isinstance(value, str) or not value:
        raise InvalidTaskInput("Pick a priority from the list.", field="priority")
    task = service.update_task(number=click.number, priority=value)
    label = blocks.priority_label(task.priority.value)
    return task, f"{label} priority set by <@{click.actor_id}>"


def _delete(service: TaskService, click: Click, tz: tzinfo) -> tuple[Task, str]:
    task = service.delete_task(number=click.number)
    return task, f"🗑 Task #{click.number} deleted by <@{click.actor_id}>"


CHANGES: dict[str, Change] = {
    blocks.ACTION_DONE: _mark_done,
    blocks.ACTION_ASSIGN: _assign,
    blocks.ACTION_DUE: _set_due,
    blocks.ACTION_PRIORITY: _set_priority,
    blocks.ACTION_DELETE: _delete,
}


def missing_task_message(service: TaskService, *, number: int) -> str:
    """Why task `number` is not there: deleted meanwhile, or never one of this workspace's."""
    if any(event.action == AuditAction.delete for event in service.history(number=number)):
        return f"Task #{number} no longer exists — it was deleted."
    return str(TaskNotFound(number))


def apply_click(services: SlackServices, click: Click) -> Changed | str:
    """Run the click's change in one transaction (blocking; run it in a thread): the changed
    card, or a sentence saying why nothing changed."""
    change = CHANGES[click.action_id]
    with services.session_factory() as session:
        service = TaskService(
            session,
            team_id=click.team_id,
            actor_id=click.actor_id,
            source="slack",
            request_id=click.request_id,
        )
        try:
            with session.begin():
                tz = user_zone(
                    session,
                    team_id=click.team_id,
                    user_id=click.actor_id,
                    default=services.settings.effective_timezone(),
                )
                previous = service.get_task(number=click.number).assignee_id
                task, note = change(service, click, tz)
                deleted = click.action_id == blocks.ACTION_DELETE
                # The card is read before the commit, while the task's fields are loaded.
                card = None if deleted else task_card(task, tz=tz, directory=service.directory)
        except TaskNotFound:
            return missing_task_message(service, number=click.number)
        except TaskError as error:
            return str(error)
    return Changed(card=card, note=note, previous_assignee_id=previous)


def _in_home(body: BlockActions) -> bool:
    view = body.get("view") or {}
    return (body.get("container") or {}).get("type") == "view" and view.get("type") == "home"


async def _send(respond: AsyncRespond, **message: Any) -> bool:
    """Post to the click's `response_url`; False (logged) when Slack did not take it."""
    try:
        response = await respond(**message)
    except Exception:
        logger.exception("could not reach the response_url of a card click")
        return False
    if response.status_code != 200:
        logger.warning(
            "the response_url of a card click refused the message",
            extra={"status": response.status_code, "body": response.body},
        )
        return False
    return True


async def tell(
    services: SlackServices,
    *,
    body: BlockActions,
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    team_id: str,
    text: str,
) -> None:
    """Say `text` to the clicker alone: an ephemeral message, or on top of their App Home."""
    user_id = str((body.get("user") or {}).get("id") or "")
    if respond is not None and respond.response_url:
        await _send(
            respond,
            response_type="ephemeral",
            replace_original=False,
            text=escape_keeping_mentions(text),
        )
    elif _in_home(body) and user_id:
        await publish_home(services, client=client, team_id=team_id, user_id=user_id, notice=text)
    else:
        logger.info("a card click was refused", extra={"user": user_id, "reason": text})


def updated_message(
    body: BlockActions, *, click: Click, changed: Changed
) -> tuple[str, list[MessageBlock]]:
    """The clicked message's text and blocks with the task's card replaced by the new one
    and a note under it (by the note alone once deleted); other blocks stay as they were."""
    note = blocks.card_note(changed.note, team_id=click.team_id, number=click.number)
    card_blocks = (
        blocks.task_card_blocks(changed.card, team_id=click.team_id)
        if changed.card is not None
        else []
    )
    message = body.get("message") or {}
    original = message.get("blocks")
    replaced: list[MessageBlock] | None = None
    if isinstance(original, list) and original:
        replaced = blocks.replace_card(
            original, team_id=click.team_id, number=click.number, new_blocks=[*card_blocks, note]
        )
        # A message already at Slack's block limit keeps the new card without the note.
        if replaced is not None and len(replaced) > BLOCKS_MAX:
            replaced = blocks.replace_card(
                original, team_id=click.team_id, number=click.number, new_blocks=card_blocks
            )
    if replaced is None or replaced == [*card_blocks, note]:
        return changed.note, [*card_blocks, note]
    return str(message.get("text") or changed.note), replaced


async def show_change(
    services: SlackServices,
    *,
    body: BlockActions,
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    click: Click,
    changed: Changed,
) -> None:
    """Update the card where it was clicked: its message, or the clicker's App Home."""
    if _in_home(body):
        await publish_home(services, client=client, team_id=click.team_id, user_id=click.actor_id)
        return
    text, message_blocks = updated_message(body, click=click, changed=changed)
    if respond is not None and respond.response_url:
        sent = await _send(respond, replace_original=True, text=text, blocks=message_blocks)
        if sent:
            return
    # The response_url lasts 30 minutes and five uses; an older card of the bot's own (not
    # ephemeral) message can still be updated with chat.update.
    container = body.get("container") or {}
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if not channel or not ts or container.get("is_ephemeral"):
        return
    try:
        await web_api.update_message(
            client, channel=channel, ts=ts, text=text, blocks=message_blocks
        )
    except SlackApiError as error:
        logger.error(
            "could not update the task card",
            extra={"team": click.team_id, "channel": channel, "error": web_api.error_code(error)},
        )


async def handle_click(
    services: SlackServices,
    *,
    body: BlockActions,
    action: BlockAction,
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    request_id: str,
) -> None:
    """Check, run and show one click on a card control; its change is audited under
    `request_id`."""
    actor_id = str((body.get("user") or {}).get("id") or "")
    own_team = clicker_team(body) or ""
    target = card_target(action)
    action_id = str(action.get("action_id") or "")
    if target is None or action_id not in CHANGES or not actor_id:
        logger.warning("a card click without a task", extra={"action": action_id})
        await tell(
            services,
            body=body,
            client=client,
            respond=respond,
            team_id=own_team,
            text=UNKNOWN_CONTROL,
        )
        return
    team_id, number = target
    if own_team != team_id:
        await tell(
            services,
            body=body,
            client=client,
            respond=respond,
            team_id=own_team,
            text=OTHER_WORKSPACE,
        )
        return
    click = Click(
        action_id=action_id,
        team_id=team_id,
        number=number,
        actor_id=actor_id,
        action=action,
        request_id=request_id,
    )
    selected = action.get("selected_user")
    if action_id == blocks.ACTION_ASSIGN and isinstance(selected, str):
        await directory_sync.ensure_user(services, client=client, team_id=team_id, user_id=selected)
    outcome = await asyncio.to_thread(apply_click, services, click)
    if isinstance(outcome, str):
        await tell(
            services, body=body, client=client, respond=respond, team_id=team_id, text=outcome
        )
        return
    await show_change(
        services, body=body, client=client, respond=respond, click=click, changed=outcome
    )
    try:
        await notify.task_changed(
            services,
            client=client,
            team_id=team_id,
            actor_id=actor_id,
            number=number,
            previous_assignee_id=outcome.previous_assignee_id,
        )
    except Exception:
        logger.exception("could not tell people about a task change", extra={"task": number})


async def on_card_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """A click on a card's control: acknowledged at once, then the change."""
    services = services_of(context)
    # Counted from before the ack, so that shutdown (and tests) wait for the change.
    async with services.inflight.track():
        await ack()
        try:
            # Where Bolt's payload enters: from here on it is read as the parts named in
            # `slack_app.payloads`.
            await handle_click(
                services,
                body=cast("BlockActions", body),
                action=cast("BlockAction", action),
                client=client,
                respond=context.respond,
                request_id=request_id_of(context, body),
            )
        except Exception:
            logger.exception("a card click failed", extra={"action": action.get("action_id")})
            respond = context.respond
            if respond is not None and respond.response_url:
                await _send(respond, response_type="ephemeral", replace_original=False, text=FAILED)


def register(app: AsyncApp) -> None:
    """Add the listeners of the card controls to `app`."""
    for action_id in blocks.CARD_ACTIONS:
        # Bolt names `re.Pattern` and listener middleware without type arguments.
        app.action(action_id)(on_card_action)  # pyright: ignore[reportUnknownMemberType]
