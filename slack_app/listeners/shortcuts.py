"""The "Create task from message" shortcut: a modal the agent fills in, then the task.

A click on the message shortcut opens a "Reading the message…" modal at once (the trigger_id
expires after 3 seconds), then the agent drafts the task from the message (`agent.drafts`,
nothing is saved yet) and the modal becomes a form: title, description with a link back to the
message, assignee, due date and time, priority. Submitting it creates the task and posts its
card in the message's thread, or in a DM when the app cannot post in that channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, tzinfo
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.drafts import TaskDraft, draft_task, fallback_draft
from agent.speaker import deps_for_speaker
from slack_app.delivery import notify
from slack_app.delivery.request_ids import request_id_of
from slack_app.jobs import directory_sync
from slack_app.services import SlackServices
from slack_app.views import blocks
from slack_app.views.text import escape_keeping_mentions, normalize_mentions, truncate
from tasks.cards import task_card
from tasks.dates import ResolvedDue, resolve_due
from tasks.directory import UserDirectory
from tasks.errors import InvalidTaskInput, TaskError, UnknownUser
from tasks.models import DESCRIPTION_MAX_CHARS, TITLE_MAX_CHARS, Task, TaskPriority
from tasks.service import TaskService

logger = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "create_task_from_message"
MODAL_CALLBACK_ID = "create_task_modal"

# The form's input blocks; each input's block_id and action_id are the same.
TITLE = "title"
DESCRIPTION = "description"
ASSIGNEE = "assignee"
DUE_DATE = "due_date"
DUE_TIME = "due_time"
PRIORITY = "priority"

READING = "Reading the message…"
# How much of the message the form quotes above the fields.
QUOTE_MAX = 500
_NOT_CREATED = "Something went wrong on my side and the task was not created. Please try again."
# How long the form's submission waits to add a newly picked person to the directory, so that
# the ack stays within Slack's 3 seconds.
DIRECTORY_WAIT_SECONDS = 1.5
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
# Where the app cannot post, the card goes to the person's DM instead.
CANNOT_POST = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


@dataclass(frozen=True, kw_only=True)
class Source:
    """The message a task is made from; carried in the modal's `private_metadata`."""

    channel_id: str
    message_ts: str
    thread_ts: str
    permalink: str | None = None

    def dump(self) -> str:
        """As `private_metadata` (JSON, well under Slack's 3,000 characters)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, text: str) -> Source | None:
        """The source from `private_metadata`, or None when it is not ours."""
        try:
            raw = json.loads(text or "{}")
            return cls(
                channel_id=str(raw["channel_id"]),
                message_ts=str(raw["message_ts"]),
                thread_ts=str(raw["thread_ts"]),
                permalink=str(raw["permalink"]) if raw.get("permalink") else None,
            )
        except (ValueError, KeyError, TypeError):
            return None


# -- the views ------------------------------------------------------------------------------


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def loading_view() -> dict[str, Any]:
    """The modal shown while the agent reads the message."""
    return {
        "type": "modal",
        "callback_id": "create_task_loading",
        "title": _plain("New task"),
        "close": _plain("Cancel"),
        "blocks": [blocks.text_section(f":hourglass_flowing_sand: {READING}")],
    }


def _priority_option(value: str) -> dict[str, Any]:
    return {"text": _plain(blocks.priority_label(value)), "value": value}


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": {"action_id": block_id, **element},
    }


def initial_description(draft: TaskDraft, source: Source) -> str:
    """The drafted description, then the link back to the message, within the limit."""
    link = f"From Slack: {source.permalink}" if source.permalink else ""
    room = DESCRIPTION_MAX_CHARS - len(link) - 2
    parts = [truncate(draft.description, room) if draft.description else "", link]
    return "\n\n".join(part for part in parts if part)


def form_view(draft: TaskDraft, *, source: Source, message_text: str) -> dict[str, Any]:
    """The task form, filled in from `draft`."""
    title: dict[str, Any] = {"type": "plain_text_input", "max_length": TITLE_MAX_CHARS}
    if draft.title:
        title["initial_value"] = draft.title[:TITLE_MAX_CHARS]
    description: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": True,
        "max_length": DESCRIPTION_MAX_CHARS,
    }
    if initial := initial_description(draft, source):
        description["initial_value"] = initial
    assignee: dict[str, Any] = {"type": "users_select", "placeholder": _plain("Nobody yet")}
    if draft.assignee_id:
        assignee["initial_user"] = draft.assignee_id
    due_date: dict[str, Any] = {"type": "datepicker", "placeholder": _plain("No due date")}
    due_time: dict[str, Any] = {"type": "timepicker", "placeholder": _plain("All day")}
    if isinstance(draft.due, datetime):
        due_date["initial_date"] = draft.due.date().isoformat()
        due_time["initial_time"] = draft.due.strftime("%H:%M")
    elif isinstance(draft.due, date):
        due_date["initial_date"] = draft.due.isoformat()
    priority = draft.priority or "normal"
    quote = escape_keeping_mentions(truncate(" ".join(message_text.split()), QUOTE_MAX))
    origin = f"<{source.permalink}|This message>" if source.permalink else "The message"
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK_ID,
        "title": _plain("New task"),
        "submit": _plain("Create"),
        "close": _plain("Cancel"),
        "private_metadata": source.dump(),
        "blocks": [
            blocks.context_line(f"{origin}: {quote}" if quote else origin),
            _input(TITLE, "Title", title, optional=False),
            _input(DESCRIPTION, "Description", description, optional=True),
            _input(ASSIGNEE, "Assignee", assignee, optional=True),
            _input(DUE_DATE, "Due date", due_date, optional=True),
            _input(DUE_TIME, "Due time", due_time, optional=True),
            _input(
                PRIORITY,
                "Priority",
                {
                    "type": "static_select",
                    "options": [_priority_option(p) for p in blocks.PRIORITIES],
                    "initial_option": _priority_option(
                        priority if priority in blocks.PRIORITIES else "normal"
                    ),
                },
                optional=False,
            ),
        ],
    }


# -- opening the modal ----------------------------------------------------------------------


async def _permalink(client: AsyncWebClient, *, channel_id: str, message_ts: str) -> str | None:
    try:
        response = await client.chat_getPermalink(channel=channel_id, message_ts=message_ts)
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
    services: SlackServices, *, shortcut: dict[str, Any], client: AsyncWebClient
) -> None:
    """Open the modal at once, draft the task, then fill the form in."""
    team_id = str((shortcut.get("team") or {}).get("id") or "")
    user_id = str((shortcut.get("user") or {}).get("id") or "")
    channel_id = str((shortcut.get("channel") or {}).get("id") or "")
    message: dict[str, Any] = shortcut.get("message") or {}
    message_ts = str(message.get("ts") or "")
    text = normalize_mentions(str(message.get("text") or ""))
    try:
        opened = await client.views_open(
            trigger_id=str(shortcut.get("trigger_id") or ""), view=loading_view()
        )
    except SlackApiError as error:
        # An expired trigger_id: the person clicks again; nothing else can be done.
        logger.error(
            "could not open the task modal",
            extra={"team": team_id, "error": error.response.get("error")},
        )
        return
    except Exception:
        logger.exception("could not reach Slack to open the task modal", extra={"team": team_id})
        return
    view: dict[str, Any] = opened.get("view") or {}
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
        await client.views_update(
            view_id=str(view.get("id") or ""),
            hash=view.get("hash"),
            view=form_view(draft, source=source, message_text=text),
        )
    except SlackApiError as error:
        # The person closed the modal meanwhile, or it changed under us.
        logger.warning(
            "could not fill the task modal in",
            extra={"team": team_id, "error": error.response.get("error")},
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


def read_form(view: dict[str, Any]) -> Form:
    """The submitted values from a `view_submission`'s `view.state`."""
    values: dict[str, Any] = (view.get("state") or {}).get("values") or {}

    def field(block_id: str) -> dict[str, Any]:
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
    card: dict[str, Any]


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
        await client.chat_postMessage(
            channel=source.channel_id,
            thread_ts=source.thread_ts,
            text=line,
            blocks=[blocks.text_section(line), *card],
            unfurl_links=False,
        )
        return True
    except SlackApiError as error:
        reason = error.response.get("error")
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
        await client.chat_postMessage(
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
    body: dict[str, Any],
    view: dict[str, Any],
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


def register(app: AsyncApp, services: SlackServices) -> None:
    """Add the message shortcut and its modal's submission listener to `app`."""

    @app.message_shortcut(SHORTCUT_CALLBACK_ID)
    async def on_shortcut(  # pyright: ignore[reportUnusedFunction]
        ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async with services.inflight.track():
            await ack()
            await open_task_modal(services, shortcut=shortcut, client=client)

    @app.view_submission(MODAL_CALLBACK_ID)
    async def on_submit(  # pyright: ignore[reportUnusedFunction]
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        async with services.inflight.track():
            await submit_task_modal(
                services,
                ack=ack,
                body=body,
                view=view,
                client=client,
                request_id=request_id_of(context, body),
            )
