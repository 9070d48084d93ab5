"""The "Create task from message" shortcut: a modal the agent fills in, then the task.

A click on the message shortcut opens a "Reading the message…" modal at once (the trigger_id
expires after 3 seconds), then the agent drafts the task from the message (`agent.drafts`,
nothing is saved yet) and the modal becomes a form: title, description with a link back to the
message, assignee, due date and time, priority. Submitting it creates the task and posts its
card in the message's thread, or in a DM when the app cannot post in that channel.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any, cast

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.drafts import TaskDraft, draft_task, fallback_draft
from agent.speaker import deps_for_speaker
from slack_app.delivery import notify, web_api
from slack_app.delivery.request_ids import request_id_of
from slack_app.jobs import directory_sync
from slack_app.payloads import InputState, MessageShortcut, ViewPayload, ViewSubmission
from slack_app.services import SlackServices, services_of
from slack_app.views import blocks
from slack_app.views.task_form import (
    ASSIGNEE,
    DESCRIPTION,
    DUE_DATE,
    DUE_TIME,
    MODAL_CALLBACK_ID,
    PRIORITY,
    TITLE,
    Source,
    form_view,
    loading_view,
)
from slack_app.views.text import normalize_mentions
from tasks.cards import TaskCard, task_card
from tasks.directory import UserDirectory
from tasks.due_dates import ResolvedDue, resolve_due
from tasks.errors import InvalidTaskInput, TaskError, UnknownUser
from tasks.models import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS, Task, TaskPriority
from tasks.service import TaskService

logger = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "create_task_from_message"
_NOT_CREATED = "Something went wrong on my side and the task was not created. Please try again."
# How long the form's submission waits to add a newly picked person to the directory, so that
# the ack stays within Slack's 3 seconds.
DIRECTORY_WAIT_SECONDS = 1.5
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
# Where the app cannot post, the card goes to the person's DM instead.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


# -- opening the modal ----------------------------------------------------------------------


async def _permalink(client: AsyncWebClient, *, channel_id: str, message_ts: str) -> str | None:
    try:
        response = await web_api.message_permalink(
            client, channel=channel_id, message_ts=message_ts
        )
    except Exception as error:  # The form works without the link.
        logger.warning("could not get the message's permalink: %s", error)
        return None
    link = response.get("permalink")
    # The link goes into mrkdwn as <url|label>, so it must be a plain https URL.
    if isinstance(link, str) and link.startswith("https://") and not set(link) & set("<>| "):
        return link
    return None


def readable_mentions(services: SlackServices, *, team_id: str, text: str) -> str:
    """`<@U0BOB>` as `@bob`, for plain-text inputs where Slack shows mentions as typed."""
    ids = set(_MENTION.findall(text))
    if not ids:
        return text
    with services.session_factory() as session:
        directory = UserDirectory(session, team_id=team_id)
        handles = {user_id: user.handle for user_id in ids if (user := directory.get(user_id))}
    return _MENTION.sub(
        lambda match: f"@{handles[match.group(1)]}" if match.group(1) in handles else match[0],
        text,
    )


def _readable_draft(services: SlackServices, *, team_id: str, draft: TaskDraft) -> TaskDraft:
    title = readable_mentions(services, team_id=team_id, text=draft.title)
    description = (
        readable_mentions(services, team_id=team_id, text=draft.description)
        if draft.description
        else None
    )
    return draft.model_copy(update={"title": title, "description": description})


async def _draft(
    services: SlackServices, *, team_id: str, user_id: str, source: Source, text: str
) -> TaskDraft:
    try:
        deps = await asyncio.to_thread(
            deps_for_speaker,
            services.session_factory,
            team_id=team_id,
            user_id=user_id,
            source="slack",
            default_timezone=services.settings.effective_timezone(),
            channel_id=source.channel_id,
            thread_ts=source.thread_ts,
        )
        async with services.inflight.slot():
            draft = await services.agent_loop.run(
                draft_task(text, runtime=services.runtime, deps=deps)
            )
        return await asyncio.to_thread(_readable_draft, services, team_id=team_id, draft=draft)
    except Exception:  # A form with the first line beats no form.
        logger.exception("drafting a task from a message failed", extra={"team": team_id})
        return fallback_draft(text)


async def open_task_modal(
    services: SlackServices, *, shortcut: MessageShortcut, client: AsyncWebClient
) -> None:
    """Open the modal at once, draft the task, then fill the form in."""
    team_id = str((shortcut.get("team") or {}).get("id") or "")
    user_id = str((shortcut.get("user") or {}).get("id") or "")
    channel_id = str((shortcut.get("channel") or {}).get("id") or "")
    message = shortcut.get("message") or {}
    message_ts = str(message.get("ts") or "")
    text = normalize_mentions(str(message.get("text") or ""))
    try:
        opened = await web_api.open_view(
            client, trigger_id=str(shortcut.get("trigger_id") or ""), view=loading_view()
        )
    except SlackApiError as error:
        # An expired trigger_id: the person clicks again; nothing else can be done.
        logger.error(
            "could not open the task modal",
            extra={"team": team_id, "error": web_api.error_code(error)},
        )
        return
    except Exception:
        logger.exception("could not reach Slack to open the task modal", extra={"team": team_id})
        return
    view = cast("ViewPayload", opened.get("view") or {})
    source = Source(
        channel_id=channel_id,
        message_ts=message_ts,
        thread_ts=str(message.get("thread_ts") or message_ts),
    )
    await directory_sync.ensure_user(services, client=client, team_id=team_id, user_id=user_id)
    draft, permalink = await asyncio.gather(
        _draft(services, team_id=team_id, user_id=user_id, source=source, text=text),
        _permalink(client, channel_id=channel_id, message_ts=message_ts),
    )
    source = replace(source, permalink=permalink)
    try:
        await web_api.update_view(
            client,
            view_id=str(view.get("id") or ""),
            hash=view.get("hash"),
            view=form_view(draft, source=source, message_text=text),
        )
    except SlackApiError as error:
        # The person closed the modal meanwhile, or it changed under us.
        logger.warning(
            "could not fill the task modal in",
            extra={"team": team_id, "error": web_api.error_code(error)},
        )
    except Exception:
        logger.exception("could not reach Slack to fill the task modal in", extra={"team": team_id})


# -- submitting the form --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Form:
    """What the person submitted."""

    title: str
    description: str | None
    assignee_id: str | None
    due_date: str | None
    due_time: str | None
    priority: str


def read_form(view: ViewPayload) -> Form:
    """The submitted values from a `view_submission`'s `view.state`."""
    values = (view.get("state") or {}).get("values") or {}

    def field(block_id: str) -> InputState:
        return (values.get(block_id) or {}).get(block_id) or {}

    option = field(PRIORITY).get("selected_option") or {}
    return Form(
        title=str(field(TITLE).get("value") or ""),
        description=field(DESCRIPTION).get("value") or None,
        assignee_id=field(ASSIGNEE).get("selected_user") or None,
        due_date=field(DUE_DATE).get("selected_date") or None,
        due_time=field(DUE_TIME).get("selected_time") or None,
        priority=str(option.get("value") or "normal"),
    )


def form_errors(form: Form) -> dict[str, str]:
    """The form's mistakes by block_id, as Slack shows them under the fields."""
    errors: dict[str, str] = {}
    title = form.title.strip()
    if not title:
        errors[TITLE] = "Give the task a title."
    elif len(title) > TITLE_MAX_CHARS:
        errors[TITLE] = (
            f"A title can have at most {TITLE_MAX_CHARS} characters; this one has {len(title)}. "
            "Put the details in the description."
        )
    if form.description and len(form.description.strip()) > DESCRIPTION_MAX_CHARS:
        errors[DESCRIPTION] = (
            f"A description can have at most {DESCRIPTION_MAX_CHARS:,} characters; this one "
            f"has {len(form.description.strip()):,}."
        )
    if form.due_time and not form.due_date:
        errors[DUE_DATE] = "Pick the day for that time too."
    if form.priority not in blocks.PRIORITIES:
        errors[PRIORITY] = "Pick one of the priorities."
    return errors


def _due(form: Form, *, now: datetime) -> ResolvedDue | None:
    if not form.due_date:
        return None
    said = f"{form.due_date} {form.due_time}" if form.due_time else form.due_date
    return resolve_due(said, now=now)


def _error_field(error: TaskError) -> str:
    if isinstance(error, UnknownUser):
        return ASSIGNEE
    if isinstance(error, InvalidTaskInput) and error.field == "description":
        return DESCRIPTION
    if error.kind == "bad_due_date":
        return DUE_DATE
    return TITLE


@dataclass(frozen=True, kw_only=True)
class Created:
    """A task the form created, as its card."""

    number: int
    title: str
    card: TaskCard


def create_from_form(
    services: SlackServices,
    *,
    team_id: str,
    user_id: str,
    form: Form,
    source: Source,
    request_id: str,
) -> Created:
    """Create the task, audited under `request_id` (raises `TaskError` for what the service
    refuses)."""
    deps = deps_for_speaker(
        services.session_factory,
        team_id=team_id,
        user_id=user_id,
        source="slack",
        default_timezone=services.settings.effective_timezone(),
    )
    tz: tzinfo | None = deps.now.tzinfo
    due = _due(form, now=deps.now)
    with services.session_factory() as session, session.begin():
        service = TaskService(
            session, team_id=team_id, actor_id=user_id, source="slack", request_id=request_id
        )
        task: Task = service.create_task(
            title=form.title,
            description=form.description,
            assignee_id=form.assignee_id,
            due=due,
            priority=TaskPriority(form.priority),
            source_channel=source.channel_id,
            source_thread=source.thread_ts,
        )
        card = task_card(task, tz=tz, directory=service.directory)
        return Created(number=task.number, title=task.title, card=card)


async def post_card(
    client: AsyncWebClient, *, team_id: str, user_id: str, source: Source, created: Created
) -> bool:
    """The card in the message's thread, or in the person's DM when the app cannot post
    there; False (logged) when neither worked."""
    line = f"📝 <@{user_id}> made #{created.number} from this message."
    card = blocks.task_card_blocks(created.card, team_id=team_id)
    try:
        await web_api.post_message(
            client,
            channel=source.channel_id,
            thread_ts=source.thread_ts,
            text=line,
            blocks=[blocks.text_section(line), *card],
            unfurl_links=False,
        )
        return True
    except SlackApiError as error:
        reason = web_api.error_code(error)
        if reason not in CANNOT_POST:
            logger.error(
                "could not post the new task's card",
                extra={"team": team_id, "channel": source.channel_id, "error": reason},
            )
            return False
    except Exception:
        logger.exception("could not reach Slack to post the new task's card")
        return False
    origin = f"<{source.permalink}|that message>" if source.permalink else "that message"
    line = f"📝 I made #{created.number} from {origin}; I can't post in its channel, so here it is."
    try:
        await web_api.post_message(
            client,
            channel=user_id,
            text=line,
            blocks=[blocks.text_section(line), *card],
            unfurl_links=False,
        )
    except Exception:
        logger.exception("could not DM the new task's card", extra={"team": team_id})
        return False
    return True


async def submit_task_modal(
    services: SlackServices,
    *,
    ack: AsyncAck,
    body: ViewSubmission,
    view: ViewPayload,
    client: AsyncWebClient,
    request_id: str,
) -> None:
    """Validate the form (errors keep the modal open), create the task (audited under
    `request_id`), post its card."""
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    form = read_form(view)
    source = Source.load(str(view.get("private_metadata") or ""))
    if source is None:
        await ack(
            response_action="errors",
            errors={TITLE: "This form has expired; run the shortcut on the message again."},
        )
        return
    errors = form_errors(form)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    if form.assignee_id:
        # Someone picked who joined after the last directory sync still resolves.
        try:
            await asyncio.wait_for(
                directory_sync.ensure_user(
                    services, client=client, team_id=team_id, user_id=form.assignee_id
                ),
                timeout=DIRECTORY_WAIT_SECONDS,
            )
        except Exception as error:
            logger.warning("could not look the picked assignee up: %s", error)
    try:
        created = await asyncio.to_thread(
            create_from_form,
            services,
            team_id=team_id,
            user_id=user_id,
            form=form,
            source=source,
            request_id=request_id,
        )
    except TaskError as error:
        await ack(response_action="errors", errors={_error_field(error): str(error)})
        return
    except Exception:
        logger.exception("creating a task from the form failed", extra={"team": team_id})
        await ack(response_action="errors", errors={TITLE: _NOT_CREATED})
        return
    await ack()
    await post_card(client, team_id=team_id, user_id=user_id, source=source, created=created)
    await notify.task_changed(
        services,
        client=client,
        team_id=team_id,
        actor_id=user_id,
        number=created.number,
        previous_assignee_id=None,
    )


async def on_shortcut(
    ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """ "Create task from message": acknowledged, then the modal the agent fills in."""
    services = services_of(context)
    async with services.inflight.track():
        await ack()
        # Bolt's payloads are cast where they enter.
        await open_task_modal(services, shortcut=cast("MessageShortcut", shortcut), client=client)


async def on_submit(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """The modal's submission: the task, or the form's errors."""
    services = services_of(context)
    async with services.inflight.track():
        await submit_task_modal(
            services,
            ack=ack,
            body=cast("ViewSubmission", body),
            view=cast("ViewPayload", view),
            client=client,
            request_id=request_id_of(context, body),
        )


def register(app: AsyncApp) -> None:
    """Add the message shortcut and its modal's submission listener to `app`."""
    # Bolt names `re.Pattern` and listener middleware without type arguments.
    app.message_shortcut(SHORTCUT_CALLBACK_ID)(on_shortcut)  # pyright: ignore[reportUnknownMemberType]
    app.view_submission(MODAL_CALLBACK_ID)(on_submit)  # pyright: ignore[reportUnknownMemberType]
